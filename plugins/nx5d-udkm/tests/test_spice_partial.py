"""Partial spice records and the older flat shortcuts combine (issue 30, item 8).

A user seeds only what differs from the adapter's defaults, then anchors a change at a later
scan in either form (the older flat ``distance_m`` or the nested ``detector``); the cooks use
exactly those values over the defaults, and an invalid change names only what the user wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nx5d_udkm.rsm import UDKM_RSM
from nx5d_udkm.sample import make_repository

import nx5d_core
from nx5d_core.spice import SpiceValidationError

pytest.importorskip("xrayutilities")


@pytest.fixture
def proposal(tmp_path: Path) -> nx5d_core.Proposal:
    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726", "101500", "113045"]}, delays=2)  # fmt: skip
    repo = nx5d_core.open_repository(str(root), spice=tmp_path / "spice.sqlite")
    return repo["20210205"]


def _params(proposal: nx5d_core.Proposal, scan: str) -> dict[str, object]:
    cooked = proposal[scan].cook(recipe="rsm")
    import json

    return dict(json.loads(cooked.attrs["nx5d_recipe_params"]))


@pytest.mark.parametrize("form", ["flat", "nested"])
def test_a_partial_seed_and_a_shortcut_anchor_combine(proposal: nx5d_core.Proposal, form: str) -> None:  # fmt: skip
    spice = proposal.spice
    spice.seed("rsm", {"grid": [40, 80]}, type="rsm")
    change = {"distance_m": 0.52} if form == "flat" else {"detector": {"distance_m": 0.52}}
    spice.anchor("rsm", "101500", change)
    spice.anchor("rsm", "113045", {"detector": {"center_pixel": [90.0, 240.0]}})

    first, second, third = (_params(proposal, s) for s in ("091726", "101500", "113045"))
    defaults = UDKM_RSM["detector"]
    assert first["grid"] == [40, 80]
    assert first["detector"]["distance_m"] == defaults["distance_m"]  # type: ignore[index]
    assert second["grid"] == [40, 80]  # the seed's change is kept by the anchor
    assert second["detector"]["distance_m"] == 0.52  # type: ignore[index]
    assert second["detector"]["center_pixel"] == list(defaults["center_pixel"])  # type: ignore[index]
    assert third["detector"]["distance_m"] == 0.52  # type: ignore[index]  # the anchor keeps the rest
    assert third["detector"]["center_pixel"] == [90.0, 240.0]  # type: ignore[index]
    assert second["energy_ev"] == UDKM_RSM["energy_ev"]

    spice.update("rsm", {"detector": {"pixel_size_m": [1e-4, 1e-4]}}, scan="101500")
    updated = _params(proposal, "101500")
    assert updated["detector"]["pixel_size_m"] == [1e-4, 1e-4]  # type: ignore[index]
    assert updated["detector"]["distance_m"] == 0.52  # type: ignore[index]  # an update keeps the rest


def test_an_invalid_change_names_only_what_the_user_wrote(proposal: nx5d_core.Proposal) -> None:
    spice = proposal.spice
    spice.seed("rsm", {"grid": [40, 80]}, type="rsm")
    with pytest.raises(SpiceValidationError) as caught:
        spice.anchor("rsm", "101500", {"detector": {"distance_m": -1.0}})
    message = str(caught.value)
    assert "distance_m" in message
    for never_written in ("sample_circles", "gridder", "normalise", "q_axes"):
        assert never_written not in message
    with pytest.raises(SpiceValidationError) as caught:
        spice.anchor("rsm", "101500", {"distance_m": 0.5, "wavelength": 1.54})
    message = str(caught.value)
    assert "wavelength" in message
    for never_written in ("sample_circles", "gridder", "normalise", "q_axes"):
        assert never_written not in message
    assert [r.anchor for r in spice.history("rsm")] == [""]  # nothing was written


def test_a_detector_of_another_kind_replaces_the_one_below(proposal: nx5d_core.Proposal) -> None:
    spice = proposal.spice
    spice.seed("rsm", {"detector": {"kind": "point", "signal": "Monitor"}}, type="rsm")
    record = spice.history("rsm")[-1].data
    assert record["detector"] == {"kind": "point", "signal": "Monitor"}
    view = proposal["091726"].spice
    assert view.rsm.detector.kind == "point"
