"""Cooking many scans: a local process pool, a real LocalCluster, a real scheduler and workers on
loopback (one killed with SIGKILL mid-run), failures reported per scan, provenance exact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core.cli import main
from nx5d_core.many import cook_many, stack_cooked
from nx5d_core.testing.processes import popen

pytest.importorskip("nx5d_udkm")
from nx5d_udkm.sample import make_repository

KEYS = ["091726", "101500", "113045", "120000"]


@pytest.fixture
def proposal(tmp_path: Path) -> nx5d_core.Proposal:
    root = make_repository(tmp_path / "data", scans={"20210205": KEYS}, delays=2)
    repo = nx5d_core.open_repository(str(root), spice=str(tmp_path / "spice.sqlite"))
    p = repo["20210205"]
    p.spice.seed("rsm", {"grid": [40, 50]}, type="rsm")
    p.spice.anchor("rsm", "113045", {"grid": [30, 20]})
    return p


def _check(proposal: nx5d_core.Proposal, results: dict[str, object]) -> None:
    assert sorted(results) == sorted(KEYS)
    for key, result in results.items():
        assert isinstance(result, xr.Dataset), result
        here = proposal[key].cooked
        np.testing.assert_array_equal(result["intensity"].values, here["intensity"].values)
        assert result.attrs["nx5d_spice"] == here.attrs["nx5d_spice"]
        assert result.attrs["nx5d_cook_key"] == here.attrs["nx5d_cook_key"]
    assert results["091726"]["intensity"].shape[1:] == (40, 50)
    assert results["120000"]["intensity"].shape[1:] == (30, 20)  # the anchor's revision


def test_process_pool_streams_every_scan_with_exact_provenance(
    proposal: nx5d_core.Proposal,
) -> None:
    results = dict(proposal.cook_many(workers=2))
    _check(proposal, results)
    used = json.loads(results["120000"].attrs["nx5d_spice"])["rsm"]
    assert used["anchor"] == "113045"


def test_one_failing_scan_is_reported_and_cancels_nothing(proposal: nx5d_core.Proposal) -> None:
    folder = Path(proposal["101500"].folder)
    (folder / "image00003.tiff").write_bytes(b"II*\x00broken")
    results = dict(proposal.cook_many(workers=2))
    assert sorted(results) == sorted(KEYS)
    error = results["101500"]
    assert isinstance(error, Exception)
    assert "image00003.tiff" in str(error)
    assert all(isinstance(results[k], xr.Dataset) for k in KEYS if k != "101500")
    with pytest.raises(ValueError, match="do not stack"):
        stack_cooked(results.items())  # two grids
    same = stack_cooked((k, results[k]) for k in ("113045", "120000"))
    assert same["scan"].values.tolist() == ["113045", "120000"]
    assert set(json.loads(same.attrs["nx5d_provenance"])) == {"113045", "120000"}


def test_selection_across_proposals_is_keyed_proposal_slash_scan(tmp_path: Path) -> None:
    from nx5d_core.queries import TimeRange

    root = make_repository(
        tmp_path / "d", scans={"20210205": ["091726"], "20210206": ["101500"]}, delays=1
    )
    repo = nx5d_core.open_repository(str(root))
    keys = [
        k for k, v in repo.search(TimeRange()).cook_many(workers=1) if isinstance(v, xr.Dataset)
    ]
    assert sorted(keys) == ["20210205/091726", "20210206/101500"]


@pytest.mark.slow
def test_local_cluster_gives_the_same_results(proposal: nx5d_core.Proposal) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        results = dict(proposal.cook_many(client=client))
    _check(proposal, results)


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_scheduler_and_workers_on_loopback_survive_a_killed_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    keys = [f"{h:02d}0000" for h in range(8, 16)]
    root = make_repository(tmp_path / "data", scans={"20210205": keys}, delays=4)
    proposal = nx5d_core.open_repository(str(root))["20210205"]
    info = tmp_path / "scheduler.json"
    procs = [
        _start(
            ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(info)],
            tmp_path / "scheduler.log",
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for n in range(2):
            procs.append(
                _start(
                    ["distributed.cli.dask_worker", address, "--no-nanny", "--nthreads", "1",
                     "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{n}"],
                    tmp_path / f"worker{n}.log",
                )
            )  # fmt: skip
        from distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=60)
        monkeypatch.setenv("NX5D_SCHEDULER", address)  # cook_many connects by itself
        victim = procs[1]
        results = {}
        for key, outcome in cook_many([proposal[k] for k in keys]):
            results[key] = outcome
            if victim.poll() is None:
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
        assert victim.returncode == -signal.SIGKILL
        assert sorted(results) == sorted(keys)
        assert all(isinstance(v, xr.Dataset) for v in results.values()), results
        np.testing.assert_array_equal(
            results[keys[-1]]["intensity"].values, proposal[keys[-1]].cooked["intensity"].values
        )
    finally:
        for p in procs:  # throw-away processes: no clean shutdown needed
            if p.poll() is None:
                p.kill()
            p.wait(timeout=60)


def test_nx5d_cook_writes_nexus_files_and_a_summary(
    proposal: nx5d_core.Proposal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (Path(proposal["113045"].folder) / "manifest.dat").write_text("not a manifest\n")
    root = Path(proposal["091726"].folder).parent.parent
    out = tmp_path / "cooked"
    args = ["cook", str(root), "20210205", "--out", str(out), "--workers", "2"]
    assert main([*args, "--spice", str(tmp_path / "spice.sqlite")]) == 1
    summary = (out / "summary.tsv").read_text().splitlines()
    assert summary[0] == "# scan\tstatus\tfile or error\trecipe\tcooked at (UTC)"
    status = {line.split("\t")[0]: line.split("\t")[1] for line in summary[1:]}
    assert status == {"091726": "ok", "101500": "ok", "113045": "failed", "120000": "ok"}
    assert "1 of 4 scans failed (113045)" in capsys.readouterr().err
    # a second cook into the same folder destroys nothing: refused before anything is cooked
    made = {p.name: p.read_bytes() for p in out.glob("*.nxs")}
    again = ["cook", str(root), "20210205", "091726", "101500", "--out", str(out), "--workers", "1"]
    assert main([*again, "--spice", str(tmp_path / "spice.sqlite")]) == 2
    assert "exist already" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.glob("*.nxs")} == made
    assert (out / "summary.tsv").read_text().splitlines() == summary
    # told to, it replaces those two and adds their rows to the summary (the earlier rows stay)
    assert main([*again, "--overwrite", "--spice", str(tmp_path / "spice.sqlite")]) == 0
    grown = (out / "summary.tsv").read_text().splitlines()
    assert grown[: len(summary)] == summary
    assert [line.split("\t")[:2] for line in grown[len(summary) :]] == [["091726", "ok"], ["101500", "ok"]]
    back = nx5d_core.open_repository(f"file://{out}/{{proposal}}-{{scan}}.nxs", adapter="hdf5")
    scan = back["20210205"]["091726"]
    np.testing.assert_allclose(
        scan.raw["intensity"].values, proposal["091726"].cooked["intensity"].values
    )


def test_errors_from_workers_arrive_whole(proposal: nx5d_core.Proposal, tmp_path: Path) -> None:
    """An error with keyword-only constructor arguments (OutsideRootError) raised in a worker
    process reaches the caller as itself, with its attributes and notes."""
    folder = Path(proposal["101500"].folder)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    frame = folder / "image00002.tiff"
    frame.rename(outside / frame.name)
    frame.symlink_to(outside / frame.name)
    results = dict(proposal.cook_many(["101500", "091726"], workers=1))
    error = results["101500"]
    assert isinstance(error, nx5d_core.OutsideRootError)
    assert error.target == str(outside / frame.name)
    assert isinstance(results["091726"], xr.Dataset)


@pytest.mark.slow
def test_lazy_cook_streams_a_scan_three_times_a_workers_memory(tmp_path: Path) -> None:
    """A worker whose memory limit is a third of the scan's frames cooks it from ``lazy()``:
    the frames stream through in blocks (the nanny would kill a worker that loaded them)."""
    distributed = pytest.importorskip("distributed")
    from nx5d_udkm.sample import make_scan

    frames = 5187  # the size of a real UDKM scan: 1.97 GB of frames
    make_scan(tmp_path / "d" / "20210205" / "091726", frames=frames, delays=122, loops=3)
    proposal = nx5d_core.open_repository(str(tmp_path / "d"))["20210205"]
    proposal.spice.seed("rsm", {"grid": [60, 60]}, type="rsm")
    scan_bytes = frames * 195 * 487 * 4
    # a worker's own footprint (its imports, measured here, not guessed) plus a third of the frames
    limit = _worker_baseline() + scan_bytes // 3
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, memory_limit=limit,
            host="127.0.0.1", dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        ((key, result),) = list(proposal.cook_many(client=client, lazy=True))
    assert key == "091726"
    assert isinstance(result, xr.Dataset), result  # a worker over its limit is killed: an error
    here = proposal["091726"].cook(lazy=True)  # the same cook in this process
    np.testing.assert_allclose(result["intensity"].values, here["intensity"].values)
    assert float(result["intensity"].sum()) > 0


BASELINE = """
import os
import distributed, nx5d_core, nx5d_udkm, nx5d_udkm.rsm, nx5d_recipes.rsm, xrayutilities, scipy.sparse
with open("/proc/self/statm") as f:
    print(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
"""


def _worker_baseline() -> int:
    """The resident memory of a fresh process holding what a cooking worker imports, with room
    for the worker's own machinery (its share of a cluster's threads and buffers: 25 %)."""
    out = subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True, check=True)  # fmt: skip
    return int(int(out.stdout.split()[-1]) * 1.25)


SCRIPT = """
import logging, sys
from pathlib import Path
import nx5d_core
from nx5d_udkm.sample import make_repository

logging.basicConfig(level=logging.WARNING)
root = make_repository(Path(sys.argv[1]) / "udkm", scans={"20210205": ["091726"]}, delays=2)
outcomes = dict(nx5d_core.open_repository(str(root))["20210205"].cook_many(workers=1))
{tail}
"""


@pytest.mark.slow
def test_a_script_without_the_main_guard_is_told_why_the_pool_broke(tmp_path: Path) -> None:
    """Workers are spawned and import the main script: unguarded, the pool breaks. The user is
    told the cause (the guard), and the guarded script cooks."""
    bare = tmp_path / "bare.py"
    bare.write_text(SCRIPT.replace("{tail}", "print(sorted(type(v).__name__ for v in outcomes.values()))"))
    run = subprocess.run([sys.executable, str(bare), str(tmp_path / "a")], capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert "BrokenProcessPool" in run.stdout + run.stderr
    assert 'if __name__ == "__main__":' in run.stderr
    guarded = tmp_path / "guarded.py"
    body = SCRIPT.replace("{tail}", "print(sorted(type(v).__name__ for v in outcomes.values()))")
    lines = body.strip().splitlines()
    guarded.write_text("\n".join([*lines[:-2], 'if __name__ == "__main__":', *("    " + line for line in lines[-2:])]))  # fmt: skip
    run = subprocess.run([sys.executable, str(guarded), str(tmp_path / "b")], capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "['Dataset']" in run.stdout
