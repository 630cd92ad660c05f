"""Parameters of the ``rsm`` recipe (spice type ``rsm``): light, no science package imported.

Every field defaults to ``None``, meaning "not set here": the recipe's own defaults
(:data:`RSM_DEFAULTS`) and the adapter's defaults fill it. So a record only says what differs,
e.g. ``{"energy_ev": 8042.5}``. Records written by the older UDKM-only model (flat fields such as
``theta``, ``two_theta_deg``, ``center_pixel``) are read into this form unchanged in meaning.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "RSM_DEFAULTS",
    "AreaDetector",
    "Circle",
    "DetectorChanges",
    "LinearDetector",
    "Normalisation",
    "PointDetector",
    "RsmParams",
]

Direction = Literal["x+", "x-", "y+", "y-", "z+", "z-"]
Vector = tuple[float, float, float]
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Circle(BaseModel):
    """One goniometer circle: its axis and where its angle comes from."""

    model_config = _STRICT

    axis: Direction = Field(description="rotation axis in xrayutilities notation")
    angle: float | str = Field(
        description="the name of a variable in the raw data (omega, Theta, eta, gamma, delta, ...) or a constant in degrees"
    )
    offset: float = Field(0.0, description="added to the angle (alignment correction), degrees")
    scale: float = Field(1.0, description="multiplies the angle first (2 for an arm at 2 x Theta)")


class AreaDetector(BaseModel):
    """A 2-D detector: the frame axis, then rows, then columns of ``signal``."""

    model_config = _STRICT

    kind: Literal["area"] = "area"
    signal: str = Field("images", description="variable holding the frames")
    center_pixel: tuple[float, float] = Field(
        description="(row, column) the detector arm points at"
    )
    pixel_size_m: tuple[float, float] = Field(description="(row, column) pixel size in m")
    distance_m: float = Field(gt=0, description="sample-detector distance in m")
    rows_direction: Direction = Field("x+", description="lab direction of increasing row index")
    columns_direction: Direction = Field("z+", description="lab direction of increasing column")
    pixels: tuple[int, int] | None = Field(None, description="detector size; None: from the data")
    roi: tuple[int, int, int, int] | None = Field(
        None, description="(row0, row1, col0, col1) pixel indices, ends excluded"
    )
    bad_pixels: tuple[tuple[int, int], ...] = Field((), description="(row, column) left out")

    @model_validator(mode="before")
    @classmethod
    def _square_pixels(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("pixel_size_m"), int | float):
            data = {**data, "pixel_size_m": (data["pixel_size_m"], data["pixel_size_m"])}
        return data


class LinearDetector(BaseModel):
    """A 1-D detector (PSD, MCA of a strip detector): the frame axis, then channels."""

    model_config = _STRICT

    kind: Literal["linear"] = "linear"
    signal: str = Field("mca", description="variable holding the spectra")
    center_channel: float = Field(description="channel the detector arm points at")
    channels_per_degree: float | None = Field(None, gt=0, description="angular calibration")
    distance_m: float | None = Field(None, gt=0, description="instead of channels_per_degree")
    pixel_size_m: float | None = Field(None, gt=0, description="with distance_m")
    direction: Direction = Field("z-", description="lab direction of increasing channel")
    channels: int | None = Field(None, gt=0, description="detector channels; None: from the data")
    roi: tuple[int, int] | None = Field(None, description="(first, end) channels, end excluded")
    bad_channels: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _one_calibration(self) -> LinearDetector:
        by_angle = self.channels_per_degree is not None
        by_distance = self.distance_m is not None and self.pixel_size_m is not None
        if by_angle == by_distance:
            msg = "give channels_per_degree, or distance_m and pixel_size_m (one of the two)"
            raise ValueError(msg)
        return self


class PointDetector(BaseModel):
    """A counter: one value per frame."""

    model_config = _STRICT

    kind: Literal["point"] = "point"
    signal: str = Field("Detector", description="variable holding the counts")


Detector = Annotated[AreaDetector | LinearDetector | PointDetector, Field(discriminator="kind")]


class DetectorChanges(BaseModel):
    """Changes to the detector below this record (no ``kind``): ``{"distance_m": 0.52}`` over
    the adapter's or an earlier record's detector keeps its other fields."""

    model_config = _STRICT

    signal: str | None = None
    center_pixel: tuple[float, float] | None = None
    pixel_size_m: tuple[float, float] | float | None = None
    distance_m: float | None = Field(None, gt=0)
    rows_direction: Direction | None = None
    columns_direction: Direction | None = None
    pixels: tuple[int, int] | None = None
    roi: tuple[int, int, int, int] | tuple[int, int] | None = None
    bad_pixels: tuple[tuple[int, int], ...] | None = None
    center_channel: float | None = None
    channels_per_degree: float | None = Field(None, gt=0)
    direction: Direction | None = None
    channels: int | None = Field(None, gt=0)
    bad_channels: tuple[int, ...] | None = None


def _detector_or_changes(value: Any) -> Any:
    """A mapping without ``kind`` changes the detector below; one with ``kind`` is a detector."""
    return DetectorChanges.model_validate(value) if isinstance(value, dict) and "kind" not in value else value  # fmt: skip


class Normalisation(BaseModel):
    """Counts x absorber / absorber_divisor x monitor_reference / (monitor x time), per frame.

    The same factor as xrayutilities' ``IntensityNormalizer``; frames whose factor is not a
    finite positive number are left out of the map (and counted in its attributes).
    """

    model_config = _STRICT

    monitor: str | None = Field(None, description="monitor counter variable")
    monitor_reference: float | None = Field(
        None, gt=0, description="None: the mean monitor over every frame of the map"
    )
    time: str | float | None = Field(None, description="count-time variable or constant (s)")
    absorber: str | None = Field(None, description="variable of a factor that multiplies counts")
    absorber_divisor: str | None = Field(None, description="variable that divides that factor")


class RsmParams(BaseModel):
    """Parameters of a reciprocal-space map; ``None`` = take the adapter's or recipe's default."""

    model_config = _STRICT

    energy_ev: float | None = Field(None, gt=0, description="X-ray energy in eV")
    sample_circles: tuple[Circle, ...] | None = Field(None, description="outermost first")
    detector_circles: tuple[Circle, ...] | None = Field(None, description="outermost first")
    beam_direction: Vector | None = None
    inplane_direction: Vector | None = Field(None, description="sample in-plane reference (hkl)")
    surface_normal: Vector | None = Field(None, description="sample surface normal (hkl)")
    detector: Annotated[Detector | DetectorChanges | None, BeforeValidator(_detector_or_changes)] = None  # fmt: skip
    normalise: Normalisation | None = None
    group_by: tuple[str, ...] | None = Field(
        None, max_length=1, description="one map per value of this variable; () for one map"
    )
    grid: tuple[int, int] | None = Field(None, description="bins along the two q axes")
    q_range: tuple[float, float, float, float] | None = Field(
        None, description="(a_min, a_max, b_min, b_max) in 1/Å; None: all data"
    )
    q_axes: tuple[Literal["qx", "qy", "qz"], Literal["qx", "qy", "qz"]] | None = None
    gridder: Literal["fuzzy", "plain"] | None = Field(
        None,
        description="fuzzy: a point spreads over neighbouring bins (FuzzyGridder2D); plain: nearest bin (Gridder2D)",
    )

    @model_validator(mode="before")
    @classmethod
    def _older_records(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # None means "not set here" in this form (in the older one, two_theta_deg=None means
        # the arm at 2 x theta); block_frames is a speed knob, not physics
        data = {
            k: v for k, v in data.items() if k != "block_frames" and (v is not None or k in _LEGACY)
        }
        if not _LEGACY.intersection(data):
            return data
        if not any(v is not None for k, v in data.items() if k not in _LEGACY and k not in _UDKM):
            return from_udkm_fields(data)
        return _legacy_shortcuts(data)


RSM_DEFAULTS: dict[str, Any] = {
    "beam_direction": (0.0, 1.0, 0.0),
    "inplane_direction": (1.0, 0.0, 0.0),
    "surface_normal": (0.0, 0.0, 1.0),
    "normalise": {},
    "group_by": (),
    "grid": (200, 200),
    "q_axes": ("qy", "qz"),
    "gridder": "fuzzy",
}
"""The recipe's own defaults (the lowest layer); energy, circles and detector have none."""

_LEGACY = {
    "distance_m",
    "pixel_size_m",
    "center_pixel",
    "two_theta_deg",
    "sample_axis",
    "detector_axis",
    "detector_rows",
    "detector_columns",
    "theta",
    "delay",
}
_UDKM = {
    "energy_ev": 8047.0,
    "distance_m": 0.5,
    "pixel_size_m": 172e-6,
    "center_pixel": (97.5, 243.5),
    "two_theta_deg": 46.2,
    "sample_axis": "x+",
    "detector_axis": "x+",
    "beam_direction": (0.0, 1.0, 0.0),
    "detector_rows": "x+",
    "detector_columns": "z+",
    "inplane_direction": (1, 0, 0),
    "surface_normal": (0, 0, 1),
    "grid": (150, 150),
    "q_range": None,
    "theta": "Theta",
    "delay": "Delay",
}


def from_udkm_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The older UDKM ``rsm`` record (flat fields; its defaults for the ones it lacks) in this form."""
    old = {**_UDKM, **data}
    unknown = set(old) - set(_UDKM)
    if unknown:
        msg = f"fields of the older UDKM rsm record mixed with unknown fields {sorted(unknown)}"
        raise ValueError(msg)
    two_theta = old["two_theta_deg"]
    arm = (
        {"axis": old["detector_axis"], "angle": old["theta"], "scale": 2.0}
        if two_theta is None
        else {"axis": old["detector_axis"], "angle": float(two_theta)}
    )
    return {
        "energy_ev": old["energy_ev"],
        "sample_circles": [{"axis": old["sample_axis"], "angle": old["theta"]}],
        "detector_circles": [arm],
        "beam_direction": old["beam_direction"],
        "inplane_direction": old["inplane_direction"],
        "surface_normal": old["surface_normal"],
        "detector": {
            "kind": "area",
            "signal": "images",
            "center_pixel": old["center_pixel"],
            "pixel_size_m": old["pixel_size_m"],
            "distance_m": old["distance_m"],
            "rows_direction": old["detector_rows"],
            "columns_direction": old["detector_columns"],
        },
        "group_by": [old["delay"]],
        "grid": old["grid"],
        "q_range": old["q_range"],
        "q_axes": ("qy", "qz"),
        "gridder": "fuzzy",
    }


def _legacy_shortcuts(data: dict[str, Any]) -> dict[str, Any]:
    """Older flat fields given with the new nested ones (``spice.update("rsm", {"distance_m":
    0.53})`` on a new record): each sets its place in the nested form; what the record lacks
    comes from the older model's (UDKM) defaults, as it did there."""
    old = {k: data[k] for k in _LEGACY if k in data}
    new = {k: v for k, v in data.items() if k not in _LEGACY}
    full = from_udkm_fields({})
    if old.keys() & {
        "distance_m",
        "pixel_size_m",
        "center_pixel",
        "detector_rows",
        "detector_columns",
    }:
        detector = dict(new.get("detector") or full["detector"])
        if detector.get("kind", "area") != "area":
            msg = f"{sorted(old)} are area-detector fields; this record's detector is {detector.get('kind')!r}"
            raise ValueError(msg)
        renames = {"detector_rows": "rows_direction", "detector_columns": "columns_direction"}
        for key in (
            "distance_m",
            "pixel_size_m",
            "center_pixel",
            "detector_rows",
            "detector_columns",
        ):
            if key in old:
                detector[renames.get(key, key)] = old[key]
        new["detector"] = detector
    if old.keys() & {"theta", "sample_axis"}:
        circles = [dict(c) for c in (new.get("sample_circles") or full["sample_circles"])]
        circles[0].update(
            {k2: old[k] for k, k2 in (("theta", "angle"), ("sample_axis", "axis")) if k in old}
        )
        new["sample_circles"] = circles
    if old.keys() & {"two_theta_deg", "detector_axis"}:
        circles = [dict(c) for c in (new.get("detector_circles") or full["detector_circles"])]
        if "detector_axis" in old:
            circles[0]["axis"] = old["detector_axis"]
        if "two_theta_deg" in old:
            theta = old.get("theta") or _UDKM["theta"]
            arm = (
                {"angle": theta, "scale": 2.0}
                if old["two_theta_deg"] is None
                else {"angle": float(old["two_theta_deg"]), "scale": 1.0}
            )
            circles[0].update(arm)
        new["detector_circles"] = circles
    if "delay" in old:
        new["group_by"] = [old["delay"]]
    return new


UDKM_RSM_DEFAULTS: dict[str, Any] = RsmParams.model_validate(_UDKM).model_dump(
    mode="json", exclude_none=True
)
"""The older UDKM defaults in this form: the UDKM adapter's defaults for the ``rsm`` recipe."""
