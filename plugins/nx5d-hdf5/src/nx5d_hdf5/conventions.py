"""Finding a NeXus data group's signal, axes and dimension names under every convention in use.

Facility archives hold all of these (tried in this order):

``niac2014``
    ``signal`` (a name) and ``axes`` (one name per dimension, ``.`` for none) on the NXdata group,
    plus ``AXISNAME_indices`` group attributes (NeXus 2014 and later).
``dataset-attributes``
    ``signal=1`` (int, ``"1"`` or bytes) on the signal *dataset*, with ``axes="a:b"`` (or
    ``"a,b"``, ``"[a,b]"``) on it, and/or ``axis=N`` (1-based dimension) and ``primary=1`` on
    the axis datasets (NeXus <= 1.3: NAPI writers, the NeXus manual's writer example, old APS);
    a file whose ``axis`` numbers start at 0 (SOLEIL) counts from 0; an integer ``axes=N`` on
    an axis dataset (pyFAI's diffmap) is read as ``axis=N``.
``axis-attributes``
    no signal at all, only ``axis``/``primary`` on the axis datasets (older GDA files): every
    other array along the axis is a variable.
``scan-aligned``
    nothing at all: the arrays whose first dimension is the most common one are the scan.

Dimensions get the axis names; where the file names none, a 2-D detector image gets ``y, x``,
one more leading dimension ``frame``, and a lone 1-D signal ``point`` — never ``dim_0``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

__all__ = ["Layout", "fallback_names", "find_layout", "scalar_text"]

_SPLIT = re.compile(r"[\s:,\[\]]+")


def scalar_text(value: Any) -> Any:
    """One attribute value as a plain Python value (bytes decoded UTF-8, else Latin-1)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if isinstance(value, bytes | np.bytes_):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _names(value: Any) -> list[str]:
    """A list-of-names attribute: an array of names, or one string ``"a:b"``/``"a,b"``/``"[a,b]"``."""
    if isinstance(value, np.ndarray) and value.size > 1:
        return [str(scalar_text(v)).strip() for v in value.reshape(-1)]
    text = scalar_text(value)
    if not isinstance(text, str):
        return []
    return [part for part in _SPLIT.split(text.strip()) if part]


def _is_one(value: Any) -> bool:
    text = scalar_text(value)
    return text in (1, True, "1", "true", "True")


def _int(value: Any) -> int | None:
    text = scalar_text(value)
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _axis_number(dataset: h5py.Dataset) -> int | None:
    """The dimension an axis dataset declares it belongs to (counted from 1, or from 0 in some
    files): ``axis=N``, or an integer ``axes=N`` as pyFAI's diffmap writes on its axes (a
    text ``axes`` on a dataset is the old list of the signal's axes, not a number)."""
    if "axis" in dataset.attrs:
        return _int(dataset.attrs["axis"])
    value = np.asarray(dataset.attrs.get("axes", ""))
    if value.dtype.kind in "iu" and value.size == 1:
        return int(value.reshape(-1)[0])
    return None


@dataclass
class Layout:
    """Where a data group's signal and axes are and what its dimensions are called."""

    convention: str
    signal: str | None
    dims: list[str]
    shape: tuple[int, ...]
    axes: dict[str, list[int]] = field(default_factory=dict)
    """axis field -> the indices (into ``dims``) it runs along."""
    notes: list[str] = field(default_factory=list)
    """What the file declares that could not be followed (an axis named that does not exist)."""
    detector_dims: int | None = None
    """How many trailing dimensions belong to the detector (an image: 2), where the file says
    so: the signal's ``interpretation``, ``.`` entries closing ``axes``, axes in pixels."""
    points: int | None = None
    """The scan's points where the signal is a virtual view that reorders an acquired dataset
    (pyFAI's diffmap ``map`` over its ``intensity``): counted on that dataset."""

    def sizes(self) -> dict[str, int]:
        """Dimension name -> length."""
        return dict(zip(self.dims, self.shape, strict=True))

    def scan_length(self) -> int:
        """The scan's points: the product of the dimensions that are not the detector's (a 5 x 5
        map is 25, a line of 10 images 10); 1 for a lone image or a scalar."""
        if self.points is not None:
            return self.points
        if not self.shape:
            return 1
        if self.detector_dims is not None:
            return math.prod(self.shape[: max(len(self.shape) - self.detector_dims, 0)])
        if len(self.shape) == 2 and self.dims == ["y", "x"]:
            return 1
        return int(self.shape[0])


def _signal(group: h5py.Group, datasets: dict[str, h5py.Dataset]) -> tuple[str | None, str]:
    """The signal's name and the convention that named it (the name may be dangling)."""
    named = scalar_text(group.attrs.get("signal", ""))
    if isinstance(named, str) and named.strip():
        return named.strip(), "niac2014"
    flagged = sorted(n for n, d in datasets.items() if _is_one(d.attrs.get("signal", 0)))
    if flagged:
        return flagged[0], "dataset-attributes"
    if any("axis" in d.attrs or _axis_number(d) is not None for d in datasets.values()):
        return None, "axis-attributes"
    return None, "scan-aligned"


def _axes_per_dim(
    group: h5py.Group,
    signal: h5py.Dataset | None,
    datasets: dict[str, h5py.Dataset],
    ndim: int,
    notes: list[str],
) -> dict[str, list[int]]:
    """axis field -> dimension indices, from every convention present."""
    axes: dict[str, list[int]] = {}
    listed = _names(group.attrs["axes"]) if "axes" in group.attrs else []
    if not listed and signal is not None and "axes" in signal.attrs:
        listed = _names(signal.attrs["axes"])
    for i, name in enumerate(listed[:ndim] if ndim else listed):
        if name and name != "." and name in datasets:
            axes.setdefault(name, [i])
        elif name and name != "." and name not in group:
            notes.append(f"{group.name}: axes names {name!r} for dimension {i}, which does not exist")  # fmt: skip
    for key in group.attrs:
        if key.endswith("_indices"):
            name = key[: -len("_indices")]
            if name in datasets:
                axes[name] = [int(i) for i in np.atleast_1d(group.attrs[key]).reshape(-1)]
    by_axis: dict[int, list[tuple[int, str]]] = {}
    numbered = {n: _axis_number(d) for n, d in datasets.items()}
    first = 0 if 0 in numbered.values() else 1  # NeXus counts from 1; some writers (SOLEIL) from 0
    for name, number in numbered.items():
        if number is not None and number >= first:
            primary = _int(datasets[name].attrs.get("primary", 0)) or 0
            by_axis.setdefault(number - first, []).append((0 if primary == 1 else 1, name))
    for dim, names in sorted(by_axis.items()):
        for _, name in sorted(names):
            axes.setdefault(name, [dim])
    return axes


_INTERPRETATION = {"scalar": 0, "scaler": 0, "spectrum": 1, "image": 2, "rgb-image": 3, "rgba-image": 3, "vertex": 1}  # fmt: skip
_PIXELS = {"pixel", "pixels", "px", "pixel number"}


def _detector_dims(
    group: h5py.Group,
    signal: h5py.Dataset | None,
    datasets: dict[str, h5py.Dataset],
    axes: dict[str, list[int]],
    ndim: int,
) -> int | None:
    """Trailing detector dimensions the file declares, else ``None`` (see :class:`Layout`)."""
    if signal is not None:
        said = scalar_text(signal.attrs.get("interpretation", ""))
        if isinstance(said, str) and said.strip().lower() in _INTERPRETATION:
            return min(_INTERPRETATION[said.strip().lower()], ndim)
    listed = _names(group.attrs["axes"]) if "axes" in group.attrs else []
    trailing = 0
    for name in reversed(listed if len(listed) >= ndim else []):
        if name != ".":
            break
        trailing += 1
    if trailing:
        return min(trailing, ndim) if ndim else trailing
    pixel_dims = set()
    for name, idx in axes.items():
        unit = scalar_text(datasets[name].attrs.get("units", ""))
        if len(idx) == 1 and isinstance(unit, str) and unit.strip().lower() in _PIXELS:
            pixel_dims.add(idx[0])
    pixels = 0
    for dim in range(ndim - 1, -1, -1):
        if dim not in pixel_dims:
            break
        pixels += 1
    if pixels:
        return pixels
    if ndim and len(listed) >= ndim and all(n != "." and n in datasets for n in listed[:ndim]):
        return 0  # every dimension is a positioner's (a raster of a point detector)
    return None


def _points_of_view(signal: h5py.Dataset, datasets: dict[str, h5py.Dataset]) -> int | None:
    """The points of the acquired dataset a virtual signal only reorders: one source, in this
    group, of the same size, that says by its ``interpretation`` which dimensions are a frame."""
    if not signal.is_virtual:
        return None
    sources = {(s.file_name, s.dset_name) for s in signal.virtual_sources()}
    if len(sources) != 1:
        return None
    ((file_name, dset_name),) = sources
    if file_name not in (".", signal.file.filename):
        return None
    acquired = next((d for d in datasets.values() if d.name == dset_name), None)
    if acquired is None or acquired.size != signal.size:
        return None
    said = scalar_text(acquired.attrs.get("interpretation", ""))
    frame = _INTERPRETATION.get(said.strip().lower()) if isinstance(said, str) else None
    if frame is None:
        return None
    points: int = math.prod(acquired.shape[: max(acquired.ndim - frame, 0)])
    return points


def fallback_names(ndim: int) -> list[str]:
    """Dimension names where a file names none: ``point``; ``y, x``; ``frame, y, x``..."""
    if ndim == 1:
        return ["point"]
    if ndim == 2:
        return ["y", "x"]
    lead = ["frame"] if ndim == 3 else [f"scan_{i}" for i in range(ndim - 2)]
    return [*lead, "y", "x"]


def _dim_names(
    ndim: int, shape: tuple[int, ...], axes: dict[str, list[int]], datasets: dict[str, h5py.Dataset]
) -> list[str]:
    named: list[str | None] = [None] * ndim
    for name, idx in axes.items():  # a 1-D axis along one dimension names it (first come)
        ds = datasets[name]
        if (
            len(idx) == 1
            and idx[0] < ndim
            and ds.ndim == 1
            and named[idx[0]] is None
            and ds.shape[0] in (shape[idx[0]], shape[idx[0]] + 1)  # values, or bin edges
        ):
            named[idx[0]] = name
    fallback = fallback_names(ndim)
    out = [n if n is not None else fallback[i] for i, n in enumerate(named)]
    return [d if out.count(d) == 1 else f"{d}_{i}" for i, d in enumerate(out)]


def _shape_from_axes(
    axes: dict[str, list[int]], datasets: dict[str, h5py.Dataset]
) -> tuple[int, ...] | None:
    sizes: dict[int, int] = {}
    for name, idx in axes.items():
        shape = datasets[name].shape
        if len(idx) == len(shape):
            for i, n in zip(idx, shape, strict=True):
                sizes.setdefault(i, n)
    if not sizes or sorted(sizes) != list(range(len(sizes))):
        return None
    return tuple(sizes[i] for i in range(len(sizes)))


def find_layout(group: h5py.Group, datasets: dict[str, h5py.Dataset]) -> Layout | None:
    """The layout of data group ``group`` whose readable datasets are ``datasets``.

    ``None`` when the group holds nothing to lay out. The signal may be missing from
    ``datasets`` (a dangling link): the dimensions then come from the axes.
    """
    signal_name, convention = _signal(group, datasets)
    signal = datasets.get(signal_name) if signal_name else None
    notes: list[str] = []
    if signal is not None:
        shape = tuple(signal.shape)
        axes = _axes_per_dim(group, signal, datasets, len(shape), notes)
        dims = _dim_names(len(shape), shape, axes, datasets)
        detector = _detector_dims(group, signal, datasets, axes, len(shape))
        points = _points_of_view(signal, datasets)
        return Layout(convention, signal_name, dims, shape, axes, notes, detector, points)
    axes = _axes_per_dim(group, None, datasets, 0, notes)
    from_axes = _shape_from_axes(axes, datasets)
    if from_axes is not None:
        # the signal is missing: the axes give the scan's shape, the detector's is unknown
        dims = _dim_names(len(from_axes), from_axes, axes, datasets)
        return Layout(convention, signal_name, dims, from_axes, axes, notes, 0)
    arrays = [d for d in datasets.values() if d.ndim >= 1 and d.size > 1]
    if not arrays:
        return None
    length = Counter(d.shape[0] for d in arrays).most_common(1)[0][0]
    return Layout(convention, signal_name, ["point"], (length,), {})
