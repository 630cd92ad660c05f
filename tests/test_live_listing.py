"""Listings are never stale, without ``refresh()`` (issue 26, item 1): a scan that appears or
vanishes on disk is seen at the next ``keys()``, ``[key]`` or ``in``, for each way adapters list
scans (a folder of scan folders with a manifest, a folder of files, scans inside one file). The
check is a few ``stat`` calls of the listed folder (or file), never a walk."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import nx5d_core
from nx5d_core.errors import KeyNotFoundError


def _touch_later(path: Path) -> None:
    """Move the mtime on by 1 ms, as a coarse-clock filesystem might not."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_a_scan_folder_copied_in_is_listed_once_its_manifest_is_there(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726", "101500"]}, delays=2)
    proposal = nx5d_core.open_repository(str(root), index=False)["20210205"]
    held = proposal["101500"]
    assert proposal.keys() == ["091726", "101500"]
    source, copy = root / "20210205" / "101500", root / "20210205" / "113045"
    copy.mkdir()
    for f in sorted(source.iterdir()):
        if f.name != "manifest.dat":
            shutil.copy(f, copy / f.name)
    assert proposal.keys() == ["091726", "101500"]  # no manifest yet: not a scan
    shutil.copy(source / "manifest.dat", copy / "manifest.dat")
    assert "113045" in proposal
    assert proposal[-1].key == "113045"
    assert proposal["113045"].summary.num_frames == held.summary.num_frames
    shutil.rmtree(root / "20210205" / "091726")
    assert proposal.keys() == ["101500", "113045"]
    with pytest.raises(KeyNotFoundError, match=r"scan '091726' not found.*'101500', '113045'"):
        proposal["091726"]
    assert proposal.summaries()[0].key == "101500"  # listings derived from it follow


def test_a_scan_appended_to_a_spec_file_is_listed(tmp_path: Path) -> None:
    from nx5d_spec.sample import scan_text, write_spec

    path = write_spec(tmp_path / "fourc.dat", scans=(1, 2))
    proposal = nx5d_core.open_repository(str(path), index=False)["fourc"]
    assert proposal.keys() == ["1", "2"]
    with path.open("a", encoding="latin-1") as out:
        out.write(scan_text(3, points=5, seed=3))
    _touch_later(path)
    assert proposal.keys() == ["1", "2", "3"]
    assert proposal["3"].summary.num_frames == 5


def test_a_file_added_to_a_folder_of_hdf5_files_is_listed(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    import numpy as np

    def write(name: str) -> None:
        with h5py.File(tmp_path / "beamtime" / name, "w") as f:
            entry = f.create_group("entry")
            entry.attrs["NX_class"] = "NXentry"
            data = entry.create_group("data")
            data.attrs.update({"NX_class": "NXdata", "signal": "y"})
            data["y"] = np.arange(4.0)

    (tmp_path / "beamtime").mkdir()
    write("scan_001.nxs")
    repo = nx5d_core.open_repository(str(tmp_path / "beamtime"), index=False)
    proposal = repo["beamtime"]
    assert proposal.keys() == ["scan_001"]
    write("scan_002.nxs")
    assert proposal.keys() == ["scan_001", "scan_002"]


def test_relisting_costs_a_few_stats_not_a_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": [f"{n:06d}" for n in range(30)]}, delays=2)  # fmt: skip
    proposal = nx5d_core.open_repository(str(root), index=False)["20210205"]
    proposal.keys()
    calls: list[str] = []
    real = proposal._list_scans
    monkeypatch.setattr(proposal, "_list_scans", lambda: calls.append("listed") or real())
    for _ in range(100):
        proposal.keys()
        assert "000029" in proposal
    assert calls == []  # nothing changed: never listed again


# -- follow() (issue 26, item 3): a real writer thread, the reader waiting ---------------------


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_follow_yields_scans_as_a_writer_copies_them_in(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726"], "20210206": ["080000"]}, delays=2)  # fmt: skip
    repo = nx5d_core.open_repository(str(root), index=False)
    proposal = repo["20210205"]
    source = root / "20210205" / "091726"

    def writer() -> None:
        for key in ("101500", "113045"):
            time.sleep(0.3)
            target = root / "20210205" / key
            target.mkdir()
            for f in sorted(source.iterdir(), key=lambda f: f.name == "manifest.dat"):
                shutil.copy(f, target / f.name)  # frames first, the manifest last

    thread, errors = _in_thread(writer)
    seen = []
    started = time.monotonic()
    for key in proposal.follow(timeout=30):
        seen.append((key, time.monotonic() - started))
        if len(seen) == 2:
            break
    thread.join(10)
    assert not errors
    assert [k for k, _ in seen] == ["101500", "113045"]
    assert proposal["113045"].summary.num_frames == proposal["091726"].summary.num_frames

    def another() -> None:
        time.sleep(0.3)
        target = root / "20210206" / "090000"
        shutil.copytree(root / "20210206" / "080000", target)

    thread, errors = _in_thread(another)
    pairs = repo.follow(timeout=30)
    assert next(pairs) == ("20210206", "090000")
    thread.join(10)
    assert not errors


def test_follow_a_spec_file_as_scans_and_points_are_appended(tmp_path: Path) -> None:
    from nx5d_spec.sample import scan_text, write_spec

    path = write_spec(tmp_path / "fourc.dat", scans=(1,), points=3)
    proposal = nx5d_core.open_repository(str(path), index=False)["fourc"]
    lines = scan_text(2, points=6, seed=2).splitlines(keepends=True)
    data_start = next(i for i, line in enumerate(lines) if line.startswith("#L")) + 1

    def writer() -> None:  # as SPEC writes: the header, then a point at a time
        time.sleep(0.3)  # after follow() began: it yields the scans that appear after the call
        with path.open("a", encoding="latin-1") as out:
            out.writelines(lines[: data_start + 1])
            out.flush()
            for line in lines[data_start + 1 :]:
                time.sleep(0.3)
                out.write(line)
                out.flush()

    thread, errors = _in_thread(writer)
    assert next(proposal.follow(timeout=30)) == "2"
    scan = proposal["2"]
    counts = [scan.summary.num_frames]
    for grown in scan.follow(timeout=30):
        counts.append(grown.summary.num_frames)
        if counts[-1] == 6:
            break
    thread.join(10)
    assert not errors
    assert counts == sorted(counts)
    assert counts[-1] == 6
    assert scan.raw.sizes[next(iter(scan.raw.dims))] == 6  # the data agree with the summary


def test_follow_stops_at_its_timeout_and_raises_what_goes_wrong(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726"]}, delays=2)
    proposal = nx5d_core.open_repository(str(root), index=False)["20210205"]
    started = time.monotonic()
    assert list(proposal.follow(timeout=0.5, poll=0.1)) == []
    assert 0.4 < time.monotonic() - started < 5
    shutil.rmtree(root / "20210205")
    with pytest.raises(KeyNotFoundError, match=r"proposal '20210205' not found.*is gone"):
        list(proposal.follow(timeout=2, poll=0.1))  # its folder went away: said, not swallowed


def test_follow_knows_the_keys_at_the_call_not_at_the_first_next(tmp_path: Path) -> None:
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726", "101500"]}, delays=2)
    proposal = nx5d_core.open_repository(str(root), index=False)["20210205"]
    follow = proposal.follow(timeout=5, poll=0.1)
    shutil.copytree(root / "20210205" / "091726", root / "20210205" / "113045")
    assert next(follow) == "113045"  # appeared between the call and the first next()
    # the keys a caller already showed decide: one it never showed is yielded at once
    assert next(proposal.follow(timeout=5, poll=0.1, seen=["091726", "113045"])) == "101500"


def test_nx5d_ls_follow_prints_new_scans_as_they_appear(tmp_path: Path) -> None:
    import subprocess
    import sys

    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726"]}, delays=2)
    command = [sys.executable, "-m", "nx5d_core", "ls", str(root), "20210205", "--follow", "--timeout", "20"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as ls:
        assert ls.stdout is not None
        header = ls.stdout.readline()
        assert header.startswith("# key")
        assert ls.stdout.readline().startswith("091726\t")
        shutil.copytree(root / "20210205" / "091726", root / "20210205" / "101500")
        line = ls.stdout.readline()  # printed as it appears, not at the end
        ls.kill()
    assert line.startswith("101500\t"), line
