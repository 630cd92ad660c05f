"""The rsm recipe against xrayutilities' own conversion and gridders, for each detector kind."""

from __future__ import annotations

import json
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from nx5d_memory import MemoryRepository
from nx5d_recipes import RsmParams, gridding, rsm
from nx5d_recipes.rsm_model import from_udkm_fields

from nx5d_core.recipes import RecipeError

xu = pytest.importorskip("xrayutilities")


@pytest.mark.parametrize(("kind", "gridder"), [("plain", "Gridder2D"), ("fuzzy", "FuzzyGridder2D")])
def test_sparse_weights_equal_the_xrayutilities_gridders(kind: str, gridder: str) -> None:
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 1, 5000), rng.uniform(2, 3, 5000)
    data = rng.poisson(50, 5000).astype(float)
    theirs = getattr(xu, gridder)(37, 23)
    theirs.dataRange(0.1, 0.9, 2.1, 2.9, fixed=True)  # some points fall outside
    theirs(a, b, data)
    (matrix,) = gridding.set_matrices(
        a[None],
        b[None],
        shape=(37, 23),
        extent=(0.1, 0.9, 2.1, 2.9),
        kind=kind,  # type: ignore[arg-type]
    )
    norm = matrix @ np.ones(a.size)
    ours = np.divide(matrix @ data, norm, out=np.zeros(norm.size), where=norm != 0)
    np.testing.assert_allclose(ours.reshape(37, 23), theirs.data, rtol=1e-10)


def _point_scan(n: int = 300) -> xr.Dataset:
    rng = np.random.default_rng(1)
    omega = np.linspace(20.0, 25.0, n)
    tth = 2 * omega + rng.normal(0, 0.2, n)
    return xr.Dataset(
        {
            "two_theta": ("point", tth),
            "Detector": ("point", rng.poisson(1000, n).astype(float)),
            "Monitor": ("point", rng.uniform(9e4, 1.1e5, n)),
            "Seconds": ("point", np.full(n, 2.0)),
        },
        coords={"omega": ("point", omega)},
    )


POINT = {
    "energy_ev": 10000.0,
    "sample_circles": [{"axis": "x+", "angle": "omega", "offset": 0.01}],
    "detector_circles": [{"axis": "x+", "angle": "two_theta"}],
    "detector": {"kind": "point", "signal": "Detector"},
    "normalise": {"monitor": "Monitor", "time": "Seconds"},
    "grid": [30, 40],
    "gridder": "plain",
}


def _xu_point(raw: xr.Dataset, keep: np.ndarray) -> np.ndarray:
    hxrd = xu.HXRD([1, 0, 0], [0, 0, 1], en=10000.0)
    _, qy, qz = hxrd.Ang2Q(raw["omega"].values, raw["two_theta"].values, delta=[-0.01, 0.0])
    mon = raw["Monitor"].values
    data = raw["Detector"].values * (mon[keep].mean() / (mon * raw["Seconds"].values))
    gridder = xu.Gridder2D(30, 40)
    gridder(qy[keep], qz[keep], data[keep])
    return np.asarray(gridder.data)


def test_point_detector_equals_xrayutilities_and_leaves_out_frames_without_monitor() -> None:
    raw = _point_scan()
    ours = rsm.cook_rsm(raw, RsmParams.model_validate(POINT))
    covered = ours["coverage"].values > 0
    np.testing.assert_allclose(
        ours["intensity"].values[covered], _xu_point(raw, np.ones(300, bool))[covered], rtol=1e-9
    )
    assert ours.attrs["nx5d_frames_left_out"] == "{}"
    monitor = raw["Monitor"].values.copy()
    monitor[[5, 6]] = [0.0, np.nan]  # a beam dump and a missing reading
    broken = raw.assign(Monitor=("point", monitor))
    keep = np.isfinite(monitor) & (monitor > 0)
    with_gap = rsm.cook_rsm(
        broken,
        RsmParams.model_validate(
            {
                **POINT,
                "normalise": {
                    **POINT["normalise"],
                    "monitor_reference": float(monitor[keep].mean()),
                },
            }
        ),
    )
    assert json.loads(with_gap.attrs["nx5d_frames_left_out"]) == {
        "normalisation not finite and positive": 2
    }
    expected = _xu_point(raw.isel(point=np.flatnonzero(keep)), np.ones(int(keep.sum()), bool))
    covered = with_gap["coverage"].values > 0
    np.testing.assert_allclose(with_gap["intensity"].values[covered], expected[covered], rtol=1e-9)


def _linear_scan(n: int = 120, channels: int = 256) -> xr.Dataset:
    rng = np.random.default_rng(2)
    omega = np.linspace(30.0, 31.0, n)
    spectra = rng.poisson(20, (n, channels)).astype(float)
    spectra[7, 40] = -1  # a bad reading
    return xr.Dataset(
        {
            "mca": (("point", "mca_channel"), spectra),
            "gamma": ("point", np.full(n, 61.0)),
            "temperature": ("point", np.repeat([300.0, 310.0, 320.0], n // 3)),
        },
        coords={"omega": ("point", omega), "mca_channel": np.arange(channels)},
    )


LINEAR = {
    "energy_ev": 8000.0,
    "sample_circles": [{"axis": "x+", "angle": "omega"}],
    "detector_circles": [{"axis": "x+", "angle": "gamma"}],
    "detector": {
        "kind": "linear",
        "center_channel": 128.3,
        "channels_per_degree": 100.0,
        "direction": "z-",
        "roi": [20, 230],
        "bad_channels": [100],
    },
    "grid": [50, 60],
    "gridder": "fuzzy",
}


def _xu_linear(raw: xr.Dataset) -> np.ndarray:
    hxrd = xu.HXRD([1, 0, 0], [0, 0, 1], en=8000.0)
    hxrd.Ang2Q.init_linear("z-", 128.3, 256, chpdeg=100.0, roi=[20, 230])
    _, qy, qz = hxrd.Ang2Q.linear(raw["omega"].values, raw["gamma"].values)
    data = raw["mca"].values[:, 20:230].copy()
    data[data < 0] = np.nan
    data[:, 100 - 20] = np.nan
    gridder = xu.FuzzyGridder2D(50, 60)
    gridder(qy, qz, data)
    return np.asarray(gridder.data)


def test_linear_detector_equals_xrayutilities_eager_lazy_and_streamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = _linear_scan()
    params = RsmParams.model_validate(LINEAR)
    ours = rsm.cook_rsm(raw, params)
    covered = ours["coverage"].values > 0
    assert covered.mean() > 0.2
    np.testing.assert_allclose(
        ours["intensity"].values[covered], _xu_linear(raw)[covered], rtol=1e-9
    )
    lazy = raw.assign(
        mca=(("point", "mca_channel"), da.from_array(raw["mca"].values, chunks=(16, 256)))
    )
    np.testing.assert_allclose(
        rsm.cook_rsm(lazy, params)["intensity"], ours["intensity"], rtol=1e-12
    )
    monkeypatch.setattr(rsm, "DENSE_BUDGET", 0)  # the frame-by-frame path gives the same map
    np.testing.assert_allclose(
        rsm.cook_rsm(raw, params)["intensity"], ours["intensity"], rtol=1e-12
    )


def test_grouping_by_any_variable_gives_one_map_per_value() -> None:
    raw = _linear_scan()
    grouped = rsm.cook_rsm(
        raw,
        RsmParams.model_validate(
            {**LINEAR, "group_by": ["temperature"], "q_range": [-0.1, 0.1, 4.0, 4.5]}
        ),
    )
    assert grouped["intensity"].dims == ("temperature", "qy", "qz")
    assert grouped["temperature"].values.tolist() == [300.0, 310.0, 320.0]
    single = rsm.cook_rsm(
        raw.isel(point=slice(40, 80)),
        RsmParams.model_validate({**LINEAR, "q_range": [-0.1, 0.1, 4.0, 4.5]}),
    )
    np.testing.assert_allclose(
        grouped["intensity"].sel(temperature=310.0), single["intensity"], rtol=1e-12
    )


def test_area_detector_roi_and_bad_pixels_equal_xrayutilities() -> None:
    rng = np.random.default_rng(4)
    frames = rng.poisson(30, (6, 20, 30)).astype(np.int32)
    frames[2, 3, 4] = -2
    raw = xr.Dataset(
        {"images": (("frame", "y", "x"), frames), "eta": ("frame", np.repeat([10.0, 10.5], 3))},
        coords={"y": np.arange(20), "x": np.arange(30)},
    )
    params = {
        "energy_ev": 9000.0,
        "sample_circles": [{"axis": "x+", "angle": "eta"}],
        "detector_circles": [{"axis": "x+", "angle": 21.0}],
        "detector": {
            "kind": "area",
            "center_pixel": [10, 15],
            "pixel_size_m": 1e-4,
            "distance_m": 0.4,
            "roi": [2, 18, 5, 25],
            "bad_pixels": [[9, 9]],
        },
        "grid": [25, 25],
    }
    ours = rsm.cook_rsm(raw, RsmParams.model_validate(params))
    hxrd = xu.HXRD([1, 0, 0], [0, 0, 1], en=9000.0)
    hxrd.Ang2Q.init_area(
        "x+", "z+", cch1=10, cch2=15, Nch1=20, Nch2=30, distance=0.4, pwidth1=1e-4, pwidth2=1e-4
    )
    _, qy, qz = hxrd.Ang2Q.area(raw["eta"].values, np.full(6, 21.0))
    data = frames.astype(float)
    data[data < 0] = np.nan
    data[:, 9, 9] = np.nan
    pick = (slice(None), slice(2, 18), slice(5, 25))
    gridder = xu.FuzzyGridder2D(25, 25)
    gridder(qy[pick], qz[pick], data[pick])
    covered = ours["coverage"].values > 0
    np.testing.assert_allclose(ours["intensity"].values[covered], gridder.data[covered], rtol=1e-9)


def test_missing_parameters_and_variables_say_what_was_looked_for() -> None:
    raw = _point_scan()
    with pytest.raises(RecipeError, match="rsm needs energy_ev, detector"):
        rsm.cook_rsm(
            raw,
            RsmParams.model_validate(
                {k: v for k, v in POINT.items() if k not in ("energy_ev", "detector")}
            ),
        )
    wrong = {**POINT, "detector_circles": [{"axis": "x+", "angle": "tth"}]}
    with pytest.raises(
        RecipeError,
        match=r"angle of circle 2: the raw data have no variable 'tth' \(variables: .*two_theta",
    ):
        rsm.cook_rsm(raw, RsmParams.model_validate(wrong))
    with pytest.raises(RecipeError, match="expected 2"):
        rsm.cook_rsm(
            raw,
            RsmParams.model_validate(
                {**LINEAR, "detector": {**LINEAR["detector"], "signal": "Detector"}}
            ),
        )
    with pytest.raises(ValueError, match="channels_per_degree, or distance_m and pixel_size_m"):
        RsmParams.model_validate({"detector": {"kind": "linear", "center_channel": 3.0}})


def test_older_udkm_records_read_with_their_meaning() -> None:
    old: dict[str, Any] = {
        "energy_ev": 9000.0,
        "two_theta_deg": None,
        "theta": "th",
        "delay": "t",
        "grid": [10, 20],
    }
    new = RsmParams.model_validate(old)
    assert new.detector_circles is not None
    assert new.detector_circles[0].angle == "th"
    assert new.detector_circles[0].scale == 2.0  # the coupled arm at 2 x theta
    assert new.group_by == ("t",)
    assert new.grid == (10, 20)
    assert new.detector is not None
    assert new.detector.kind == "area"
    with pytest.raises(ValueError, match="unknown fields"):
        from_udkm_fields({"theta": "th", "q_axes": ["qx", "qz"]})


def test_merged_scans_must_agree_on_everything_but_the_frames() -> None:
    from nx5d_recipes.combine import concat_frames

    a = _linear_scan()
    b = a.assign_coords(mca_channel=np.arange(256) + 1)
    with pytest.raises(RecipeError, match="cannot be merged"):
        concat_frames([a, b], keys=["1", "2"], params=RsmParams.model_validate(LINEAR))
    merged = concat_frames([a, a], keys=["1", "2"], params=RsmParams.model_validate(LINEAR))
    assert merged["scan"].values.tolist() == ["1"] * 120 + ["2"] * 120


def test_cook_many_with_a_recipe_on_a_process_pool() -> None:
    repo = MemoryRepository.from_dict(
        {"p": {f"s{i}": _point_scan(50 + i) for i in range(3)}}, name="pool"
    )
    proposal = repo["p"]
    proposal.spice.seed("rsm", POINT, type="rsm")
    results = dict(proposal.cook_many(recipe="rsm", workers=2))
    assert sorted(results) == ["s0", "s1", "s2"]
    for key, result in results.items():
        assert isinstance(result, xr.Dataset), result
        xr.testing.assert_allclose(
            result["intensity"], proposal[key].cook(recipe="rsm")["intensity"]
        )


def test_older_flat_fields_update_a_new_record_in_place() -> None:
    base = RsmParams.model_validate({**POINT, "detector": {"kind": "area", "center_pixel": [1, 2], "pixel_size_m": 1e-4, "distance_m": 0.4}})  # fmt: skip
    changed = RsmParams.model_validate({**base.model_dump(mode="json"), "distance_m": 0.53, "theta": "eta"})  # fmt: skip
    assert changed.detector is not None
    assert changed.detector.kind == "area"
    assert changed.detector.distance_m == 0.53
    assert changed.detector.center_pixel == (1.0, 2.0)  # the rest of the record stays
    assert changed.sample_circles is not None
    assert changed.sample_circles[0].angle == "eta"
    assert changed.sample_circles[0].offset == 0.01
    assert changed.energy_ev == POINT["energy_ev"]
    with pytest.raises(ValueError, match="area-detector fields"):
        RsmParams.model_validate({**LINEAR, "distance_m": 0.5})
