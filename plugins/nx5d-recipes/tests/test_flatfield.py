"""The flatfield recipe on the real Diamond K11 DIAD tomography scan (NXtomo image_key), and
with darks and flats in scans of their own."""

from __future__ import annotations

import os
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from nx5d_memory import MemoryRepository

import nx5d_core
from nx5d_core.recipes import RecipeError

REAL = Path(
    os.environ.get("NX5D_REAL_DATA", Path(__file__).parents[3].parent / "shared" / "data" / "real")
)
K11 = REAL / "DLS" / "K11_DIAD"


@pytest.fixture
def k11(tmp_path: Path) -> nx5d_core.Scan:
    if not K11.is_dir():
        pytest.skip(f"real data not found at {K11}")
    repo = nx5d_core.open_repository(str(K11), spice=tmp_path / "spice.sqlite")
    return repo["mg32775-1"]["k11-18014"]


def test_k11_lazy_correction_equals_numpy_and_sums_the_roi(k11: nx5d_core.Scan) -> None:
    k11.proposal.spice.seed("flatfield", {"roi": [5, 15, 4, 20]}, type="flatfield")
    cooked = k11.cook(recipe="flatfield", lazy=True)
    assert isinstance(cooked["corrected"].data, da.Array)  # dask in, dask out
    raw = k11.raw
    key = raw["instrument.imaging.image_key"].values
    frames = raw["data"].values.astype(np.float64)
    counts = {int(v): int((key == v).sum()) for v in np.unique(key)}
    assert counts[0] > 1000, counts
    assert counts[1] > 0, counts
    assert counts[2] > 0, counts
    dark, flat = frames[key == 2].mean(axis=0), frames[key == 1].mean(axis=0)
    expected = (frames[key == 0] - dark) / (flat - dark)
    corrected = cooked["corrected"].values
    assert corrected.shape == (counts[0], 22, 26)
    np.testing.assert_allclose(corrected, expected, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(
        cooked["roi_sum"].values, expected[:, 5:15, 4:20].sum(axis=(1, 2)), rtol=1e-4
    )
    theta = cooked["gts_theta_value"].values  # the frames keep their angle
    np.testing.assert_array_equal(theta, raw["gts_theta_value"].values[key == 0])
    assert cooked.attrs["nx5d_recipe"] == "flatfield"


def _scan(level: float, n: int = 4) -> xr.Dataset:
    rng = np.random.default_rng(int(level))
    return xr.Dataset({"data": (("frame", "y", "x"), level + rng.uniform(0, 1, (n, 5, 6)))})


def test_darks_and_flats_from_scans_of_their_own() -> None:
    repo = MemoryRepository.from_dict(
        {"p": {"dark": _scan(10), "flat": _scan(1000), "sample": _scan(500)}}, name="ff"
    )
    proposal = repo["p"]
    proposal.spice.seed("flatfield", {"dark_scan": "dark", "flat_scan": "flat"}, type="flatfield")
    cooked = proposal.cook(["dark", "flat", "sample"], recipe="flatfield")
    raw = {k: proposal[k].raw["data"].values for k in ("dark", "flat", "sample")}
    dark, flat = raw["dark"].mean(axis=0), raw["flat"].mean(axis=0)
    np.testing.assert_allclose(
        cooked["corrected"].values, (raw["sample"] - dark) / (flat - dark), rtol=1e-5
    )
    assert cooked["scan"].values.tolist() == ["sample"] * 4
    with pytest.raises(RecipeError, match="need the scans cooked together"):
        proposal["sample"].cook(recipe="flatfield")


def test_a_flat_no_brighter_than_the_dark_gives_nan_and_missing_darks_raise() -> None:
    frames = np.ones((4, 2, 2))
    frames[0] = 5.0  # dark
    frames[1] = 5.0  # flat equal to the dark: no signal range
    frames[1, 0, 0] = 9.0
    raw = xr.Dataset({"data": (("f", "y", "x"), frames), "image_key": ("f", [2, 1, 0, 0])})
    repo = MemoryRepository.from_dict({"p": {"s": raw}}, name="ff2")
    cooked = repo["p"]["s"].cook(recipe="flatfield")
    assert np.isnan(cooked["corrected"].values[:, 1, 1]).all()
    assert cooked["corrected"].values[0, 0, 0] == pytest.approx((1 - 5) / (9 - 5))
    no_dark = raw.assign(image_key=("f", [0, 1, 0, 0]))
    repo2 = MemoryRepository.from_dict({"p": {"s": no_dark}}, name="ff3")
    with pytest.raises(RecipeError, match=r"no dark frames in 'data'"):
        repo2["p"]["s"].cook(recipe="flatfield")
