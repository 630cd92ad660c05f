"""The rsm recipe reproduces xrayutilities 1.8.0's published ID10B InP example (333 and 224)
through the SPEC adapter with every parameter in spice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nx5d_recipes import examples

import nx5d_core

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def id10b(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    try:
        examples.find_sdist()
    except FileNotFoundError as exc:
        pytest.skip(f"the xrayutilities 1.8.0 sdist is not cached: {exc}")
    folder = tmp_path_factory.mktemp("id10b")
    spec = examples.id10b_spec(folder)
    return {"folder": folder, "reference": examples.reference_maps(spec, workdir=folder)}


def test_both_maps_equal_the_example(id10b: dict[str, Any], tmp_path: Path) -> None:
    folder: Path = id10b["folder"]
    reference = id10b["reference"]
    repo = nx5d_core.open_repository(
        f"file://{folder}/{{proposal}}.spec#{{scan}}",
        adapter="spec",
        spice=tmp_path / "spice.sqlite",
    )
    proposal = repo["test"]
    # the 224 parameters hold from the start of the file, the 333 ones from scan 36 on
    first, second = reference["224"], reference["333"]
    proposal.spice.seed(
        "rsm", examples.id10b_spice(first["offsets"], grid=(400, 600)), type="rsm", author="test"
    )
    proposal.spice.anchor("rsm", "36", examples.id10b_spice(second["offsets"], grid=(200, 201)))
    maps = {
        "224": proposal.cook(["33", "34", "35"], recipe="rsm"),
        "333": proposal["36"].cook(recipe="rsm"),
    }
    for name, cooked in maps.items():
        ref = reference[name]
        np.testing.assert_allclose(cooked["qy"].values, ref["qy"], rtol=1e-12)
        np.testing.assert_allclose(cooked["qz"].values, ref["qz"], rtol=1e-12)
        covered = cooked["coverage"].values > 0
        assert 0.3 < covered.mean() < 0.9, name
        assert np.allclose(
            cooked["intensity"].values[covered], ref["data"][covered], rtol=1e-6, atol=0
        )
        assert (ref["data"][~covered] == 0).all()  # xrayutilities writes 0 where no point fell
        assert np.isnan(cooked["intensity"].values[~covered]).all()  # we write NaN
        assert cooked.attrs["nx5d_recipe"] == "rsm"
    scans = json.loads(maps["224"].attrs["nx5d_scans"])
    assert scans == ["33", "34", "35"]
    spice = json.loads(maps["224"].attrs["nx5d_spice"])
    assert {k: v["rsm"]["revision"] for k, v in spice.items()} == {"33": 0, "34": 0, "35": 0}
    assert json.loads(maps["333"].attrs["nx5d_spice"])["rsm"]["anchor"] == "36"
