"""Spice: anchors in scan order, optimistic updates across processes, cook provenance, nx5d JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core.spice import (
    InvalidAnchorError,
    SpiceStore,
    SpiceStoreError,
    SpiceValidationError,
    UnknownSpiceHandleError,
    UnknownSpiceTypeError,
)
from nx5d_core.spice.transfer import NX5D_VERSION

SETTINGS_PLUGIN = """
import nx5d_core
from pydantic import BaseModel, ConfigDict

class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    img_center: tuple[int, int]
    distance: float
    label: str = "default"

@nx5d_core.hookimpl
def nx5d_register_spice_types(registry):
    registry.add("settings", Settings)
"""


def _cook(raw: xr.Dataset, spice: nx5d_core.SpiceView) -> xr.Dataset:
    return xr.Dataset({"scaled": raw["value"] * spice["settings"].distance})


def _repo(spice: SpiceStore | str | None = None, n: int = 12) -> nx5d_core.Repository:
    from nx5d_memory import MemoryRepository

    scans = {f"r{i}": np.arange(3.0) for i in range(n, 0, -1)}
    return MemoryRepository("memory://spice", data={"p1": scans}, cook=_cook, spice=spice)


@pytest.fixture
def typed(add_entry_point: Callable[[str, str], None]) -> None:
    add_entry_point("settings", SETTINGS_PLUGIN)


def test_anchor_applies_from_its_scan_on_in_natural_order(typed: None) -> None:
    proposal = _repo()["p1"]
    proposal.spice.seed("settings", {"img_center": (90, 245), "distance": 0.5}, type="settings")
    proposal.spice.anchor("settings", "r5", {"distance": 0.7})
    views = proposal.spice.views()
    for i in range(1, 13):
        expected = 0.7 if i >= 5 else 0.5
        assert views[f"r{i}"]["settings"].distance == expected, f"r{i}"
    assert proposal["r10"].spice.settings.img_center == (90, 245)
    assert proposal["r12"].spice["settings"].distance == 0.7
    assert proposal["r4"].spice.records["settings"].anchor == ""
    assert proposal["r11"].spice.records["settings"].anchor == "r5"


def test_update_targets_the_chain_governing_a_scan(typed: None) -> None:
    spice = _repo()["p1"].spice
    spice.seed("settings", {"img_center": (1, 2), "distance": 1.0}, type="settings")
    spice.anchor("settings", "r5", {"distance": 2.0})
    record = spice.update("settings", {"label": "after beam loss"}, scan="r9")
    assert (record.anchor, record.revision) == ("r5", 1)
    assert spice.view("r9")["settings"].label == "after beam loss"
    assert spice.view("r9")["settings"].distance == 2.0
    assert spice.view("r3")["settings"].label == "default"
    spice.update("settings", {"distance": 1.5}, scan="r2")
    assert spice.view("r4")["settings"].distance == 1.5
    assert [(r.anchor, r.revision) for r in spice.history("settings")] == [
        ("", 0),
        ("", 1),
        ("r5", 0),
        ("r5", 1),
    ]
    assert spice.diff("settings", 0, 1, anchor="r5") == {"label": ("default", "after beam loss")}


def test_revert_and_delete_keep_history() -> None:
    spice = _repo()["p1"].spice
    spice.seed("norm", {"factor": 1}, type="free")
    spice.update("norm", {"factor": 2})
    spice.revert("norm", 0)
    assert spice.view("r3")["norm"] == {"factor": 1}
    spice.delete("norm")
    assert "norm" not in spice.view("r3")
    history = spice.history("norm")
    assert [(r.revision, r.deleted, r.data) for r in history] == [
        (0, False, {"factor": 1}),
        (1, False, {"factor": 2}),
        (2, False, {"factor": 1}),
        (3, True, {}),
    ]
    assert history[2].parent == history[1].uuid


def test_cooked_is_recomputed_after_update_and_names_revision(typed: None) -> None:
    scan = _repo()["p1"]["r7"]
    scan.proposal.spice.seed("settings", {"img_center": (1, 2), "distance": 2.0}, type="settings")
    first = scan.cooked
    assert first["scaled"].values.tolist() == [0.0, 2.0, 4.0]
    assert scan.cooked is first
    scan.proposal.spice.update("settings", {"distance": 3.0})
    second = scan.cooked
    assert second["scaled"].values.tolist() == [0.0, 3.0, 6.0]
    used = json.loads(second.attrs["nx5d_spice"])["settings"]
    assert used["revision"] == 1
    assert used["uuid"] == scan.proposal.spice.history("settings")[-1].uuid
    assert second.attrs["nx5d_adapter"] == "memory"
    assert second.attrs["nx5d_adapter_version"] == "0.1.0"


def test_nx5d_json_round_trip(tmp_path: Path, typed: None) -> None:
    spice = _repo()["p1"].spice
    spice.seed("settings", {"img_center": (90, 245), "distance": 0.5}, type="settings")
    spice.anchor("settings", "r10", {"distance": 0.6})
    spice.update("settings", {"label": "x"}, scan="r11")
    spice.seed("notes", {"text": "Ä sample", "list": [1, 2.5]}, type="free")
    folder = tmp_path / "nx5d-records"
    paths = spice.export_nx5d(folder)
    assert len(paths) == 4
    doc = json.loads(paths[0].read_text())
    assert set(doc) == {"version", "type", "handle", "uuid", "revision", "anchor", "data"}
    assert doc["version"] == NX5D_VERSION

    other = _repo()["p1"].spice
    assert other.import_nx5d(folder) == 4
    assert other.import_nx5d(folder) == 0  # idempotent
    for scan in ("r1", "r9", "r10", "r12"):
        assert other.view(scan).provenance() == spice.view(scan).provenance()
        assert dict(other.view(scan)) == dict(spice.view(scan))
    jsonl = spice.export(tmp_path / "all.jsonl")
    third = _repo()["p1"].spice
    assert third.import_(jsonl) == 4
    assert [r.uuid for r in third.history("settings")] == [
        r.uuid for r in spice.history("settings")
    ]


def test_nx5d_import_reports_bad_files_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    good = {
        "version": NX5D_VERSION,
        "type": "free",
        "handle": "a",
        "uuid": "u1",
        "revision": 0,
        "anchor": "r1",
        "data": {},
    }
    (folder / "u1.json").write_text(json.dumps(good))
    (folder / "u2.json").write_text('{"version": "kmc3/1a", "type": "free", "handle": ')
    spice = _repo()["p1"].spice
    with pytest.raises(SpiceStoreError, match=r"u2.json: not valid JSON \(line 1"):
        spice.import_nx5d(folder)
    (folder / "u2.json").write_text(json.dumps({**good, "uuid": "u2", "anchor": "r99"}))
    with pytest.raises(InvalidAnchorError, match="anchor 'r99' not found"):
        spice.import_nx5d(folder)
    assert spice.handles() == []


def test_unknown_handle_and_bad_anchor_name_what_exists() -> None:
    spice = _repo()["p1"].spice
    spice.seed("norm", {"factor": 1}, type="free")
    with pytest.raises(UnknownSpiceHandleError, match="spice handle 'nrom' not found.*closest: 'norm'"):
        spice.update("nrom", {"factor": 2})
    with pytest.raises(
        InvalidAnchorError, match=r"anchor 'r13' not found in proposal 'p1'.*closest: .*'r12'"
    ):
        spice.anchor("norm", "r13")
    with pytest.raises(UnknownSpiceHandleError):
        _ = spice.view("r1")["other"]


def test_validation_error_names_the_field_and_writes_nothing(typed: None) -> None:
    spice = _repo()["p1"].spice
    with pytest.raises(
        SpiceValidationError,
        match=r"'settings' of type 'settings' is invalid: distance: Input should be a valid number",
    ):
        spice.seed("settings", {"img_center": (1, 2), "distance": "far"}, type="settings")
    with pytest.raises(SpiceValidationError, match="distance: Input should be a finite number"):
        spice.seed("settings", {"img_center": (1, 2), "distance": float("nan")}, type="settings")
    assert spice.handles() == []
    with pytest.raises(
        UnknownSpiceTypeError,
        match=r"spice type 'rsm2' is not registered \(registered: .*settings\).*'free'",
    ):
        spice.seed("rsm", {}, type="rsm2")


def test_non_serialisable_free_form_data_writes_nothing() -> None:
    spice = _repo()["p1"].spice
    with pytest.raises(SpiceValidationError, match="cannot be stored.*ndarray"):
        spice.seed("mask", {"pixels": np.zeros(3)}, type="free")
    with pytest.raises(SpiceValidationError, match="cannot be stored"):
        spice.seed("mask", {"value": float("nan")}, type="free")
    assert spice.handles() == []
    spice.seed("mask", {"pixels": [0, 0, 0]}, type="free")
    with pytest.raises(SpiceValidationError):
        spice.update("mask", {"pixels": np.zeros(3)})
    assert len(spice.history("mask")) == 1


def test_corrupt_database_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "spice.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    spice = _repo(spice=str(path))["p1"].spice
    with pytest.raises(
        SpiceStoreError,
        match=r"spice store '.*spice.sqlite' cannot be opened: file is not a database",
    ):
        spice.view("r1")
    assert path.read_bytes() == b"this is not a database" * 100


def test_batch_resolution_equals_one_by_one() -> None:
    from nx5d_core.spice.records import SpiceRecord
    from nx5d_core.spice.resolve import Resolver

    rng = np.random.default_rng(1)
    keys = [f"r{i}" for i in range(1, 60)]
    heads = []
    for h in range(5):
        anchors = [
            "",
            *sorted(rng.choice(keys, size=6, replace=False).tolist(), key=nx5d_core.natural_key),
        ]
        for a in anchors[int(h % 2) :]:
            heads.append(
                SpiceRecord(
                    proposal="p",
                    handle=f"h{h}",
                    type="free",
                    anchor=a,
                    revision=0,
                    uuid=f"{h}-{a}",
                    parent=None,
                    author="t",
                    timestamp="2026-01-01T00:00:00+00:00",
                    data={},
                    deleted=bool(rng.random() < 0.2),
                )
            )
    resolver = Resolver(heads, order=nx5d_core.natural_key)
    shuffled = list(rng.permutation(keys))
    assert resolver.resolve_all(shuffled) == [resolver.resolve(k) for k in shuffled]
    assert resolver.resolve_all(keys, in_order=True) == [resolver.resolve(k) for k in keys]
