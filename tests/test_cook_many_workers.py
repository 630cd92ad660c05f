"""What the workers of cook_many keep and what they do not: a warm local pool that is never
stale, a failing scan run once on a real cluster, files written by the workers, and the heap
held while a cook runs under dask's aggressive trimming."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nx5d_core
from nx5d_core.many import close_pool, cook_many, cook_many_to_files, target_file

pytest.importorskip("nx5d_udkm")
from nx5d_udkm.sample import make_repository

KEYS = ["091726", "101500", "113045"]

WHOAMI = """
import os
import xarray as xr
from pydantic import BaseModel
import nx5d_core
from nx5d_core.recipes import Recipe

class Nothing(BaseModel):
    pass

def whoami(raw, params):
    return xr.Dataset(attrs={"pid": os.getpid(), "marker": os.environ.get("NX5D_TEST_MARKER", "")})

@nx5d_core.hookimpl
def nx5d_register_recipes(registry):
    registry.add(Recipe(name="whoami", model=Nothing, function=whoami, version="1",
                        description="the worker's process id"))
"""


@pytest.fixture
def proposal(tmp_path: Path) -> nx5d_core.Proposal:
    root = make_repository(tmp_path / "data", scans={"20210205": KEYS}, delays=1)
    return nx5d_core.open_repository(str(root), spice=str(tmp_path / "spice.sqlite"))["20210205"]


def _pids(proposal: nx5d_core.Proposal) -> set[int]:
    outcomes = dict(proposal.cook_many(recipe="whoami", workers=1))
    assert all(isinstance(v, xr.Dataset) for v in outcomes.values()), outcomes
    return {int(v.attrs["pid"]) for v in outcomes.values()}  # type: ignore[union-attr]


def test_the_local_pool_stays_warm_and_is_replaced_when_it_would_be_stale(
    proposal: nx5d_core.Proposal,
    add_entry_point: Callable[[str, str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    close_pool()
    try:
        first = dict(proposal.cook_many(["091726"], workers=1))  # a pool without the recipe
        assert isinstance(first["091726"], xr.Dataset)
        add_entry_point("whoami", WHOAMI)  # installed after the pool started: it must see it
        pid = _pids(proposal)
        assert len(pid) == 1
        assert _pids(proposal) == pid  # the same worker: its imports are kept between calls
        monkeypatch.setenv("NX5D_TEST_MARKER", "changed")  # workers took the old environment
        outcomes = dict(proposal.cook_many(["091726"], recipe="whoami", workers=1))
        fresh = outcomes["091726"]
        assert isinstance(fresh, xr.Dataset)
        assert fresh.attrs["marker"] == "changed"
        assert fresh.attrs["pid"] not in pid
    finally:
        close_pool()


def test_a_pool_whose_worker_died_is_not_reused(
    proposal: nx5d_core.Proposal, add_entry_point: Callable[[str, str], None]
) -> None:
    import os
    import signal

    close_pool()
    add_entry_point("whoami", WHOAMI)
    try:
        (pid,) = _pids(proposal)
        os.kill(pid, signal.SIGKILL)
        outcomes = dict(proposal.cook_many(["091726"], recipe="whoami", workers=1))
        if not isinstance(outcomes["091726"], xr.Dataset):  # the kill reached the pool first
            assert "BrokenProcessPool" in type(outcomes["091726"]).__name__
        (again,) = _pids(proposal)  # a new pool, not the broken one
        assert again != pid
    finally:
        close_pool()


def test_files_are_written_by_the_workers_and_only_paths_return(
    proposal: nx5d_core.Proposal, tmp_path: Path
) -> None:
    out = tmp_path / "cooked"
    out.mkdir()
    proposal.spice.seed("rsm", {"grid": [20, 30]}, type="rsm")
    kept = target_file(proposal["113045"], out)
    kept.write_bytes(b"a user's file")
    outcomes = dict(cook_many_to_files([proposal[k] for k in KEYS], folder=out, workers=2))
    assert isinstance(outcomes["113045"], FileExistsError)
    assert kept.read_bytes() == b"a user's file"  # never overwritten unless told
    written = outcomes["091726"]
    assert isinstance(written, Path)
    assert written == target_file(proposal["091726"], out)
    back = nx5d_core.open_repository(f"file://{out}/{{proposal}}-{{scan}}.nxs", adapter="hdf5")
    np.testing.assert_allclose(
        back["20210205"]["091726"].raw["intensity"].values,
        proposal["091726"].cooked["intensity"].values,
    )
    again = dict(cook_many_to_files([proposal["113045"]], folder=out, overwrite=True, workers=1))
    assert again["113045"] == kept
    assert kept.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"


@pytest.mark.slow
def test_on_a_cluster_a_failing_scan_runs_once_and_files_come_from_the_workers(
    proposal: nx5d_core.Proposal, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    (Path(proposal["101500"].folder) / "image00001.tiff").write_bytes(b"II*\x00broken")
    out = tmp_path / "cooked"
    out.mkdir()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        outcomes = dict(cook_many([proposal[k] for k in KEYS], client=client))
        runs = client.run_on_scheduler(_runs_of, "nx5d-cook-101500-")
        files = dict(cook_many_to_files([proposal[k] for k in KEYS], folder=out, client=client))
    assert isinstance(outcomes["101500"], nx5d_core.Nx5dError), outcomes["101500"]
    assert "image00001.tiff" in str(outcomes["101500"])
    assert runs == 1  # a deterministic failure is not retried
    assert isinstance(files["091726"], Path)
    assert files["091726"].exists()
    assert isinstance(files["101500"], nx5d_core.Nx5dError)


def _runs_of(prefix: str, dask_scheduler: object) -> int:
    """How often the scheduler sent a task whose key starts with ``prefix`` to a worker."""
    log = dask_scheduler.transition_log  # type: ignore[attr-defined]
    return sum(1 for key, _, finish, *_ in log if str(key).startswith(prefix) and finish == "processing")  # fmt: skip


FAULTS = """
import ctypes, resource, time
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE: 4 KiB pages, one fault each
import numpy as np
from nx5d_core.workers import held_heap

def faults_small(n):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        a = np.ones(1 << 20)  # 8 MiB
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

loose = faults_small(20)
with held_heap():
    held = faults_small(20)
with held_heap():  # the next task of a queue: the pages are still there
    queued = faults_small(20)
time.sleep(1.5)  # idle past NX5D_HEAP_HOLD: the worker's setting is back
after = faults_small(20)
import nx5d_core.workers as w
w._memory_limit = lambda: 1  # a worker above half its memory limit gives the heap back at once
with held_heap():
    faults_small(20)
time.sleep(0.3)
near = faults_small(20)
print(loose, held, queued, after, near)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_cook_keeps_its_heap_under_dasks_trim_threshold(tmp_path: Path) -> None:
    """Under ``MALLOC_TRIM_THRESHOLD_`` (dask's workers), every 8 MiB array is a fresh mmap whose
    pages fault in one by one; inside ``held_heap`` the freed memory is reused (also by the next
    task), and once the worker is idle ``NX5D_HEAP_HOLD`` seconds, or at once above half its
    memory limit, its own setting is back."""
    import os

    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "NUMPY_MADVISE_HUGEPAGE": "0", "NX5D_HEAP_HOLD": "1"}  # fmt: skip
    run = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True, env=env, check=True)  # fmt: skip
    loose, held, queued, after, near = (int(v) for v in run.stdout.split())
    pages = 20 * (8 << 20) // os.sysconf("SC_PAGE_SIZE")
    assert loose > 0.9 * pages, (loose, held, queued, after)  # every page of every array
    assert held * 5 < loose, (loose, held, queued, after)  # the first array's pages only
    assert queued * 5 < loose, (loose, held, queued, after)
    assert held * 5 < after, (loose, held, queued, after)  # dask's setting is back
    assert held * 5 < near, (loose, held, near)  # near the memory limit: given back at once


HELD_BETWEEN_CALLS = """
import ctypes, resource, time
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE: 4 KiB pages, one fault each
import numpy as np
from nx5d_core.workers import held_heap

def faults_small(n):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        a = np.ones(1 << 20)
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

with held_heap():
    first = faults_small(20)
time.sleep(1.5)  # between two cook_many calls of a script
with held_heap():
    second = faults_small(20)
print(first, second)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
@pytest.mark.parametrize("hold", [None, "not-a-number"])
def test_the_heap_stays_held_between_calls_by_default(hold: str | None) -> None:
    import os

    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "NUMPY_MADVISE_HUGEPAGE": "0"}
    env.pop("NX5D_HEAP_HOLD", None)
    if hold is not None:
        env["NX5D_HEAP_HOLD"] = hold  # unreadable: a warning and the default
    run = subprocess.run([sys.executable, "-c", HELD_BETWEEN_CALLS], capture_output=True, text=True, env=env, check=True)  # fmt: skip
    first, second = (int(v) for v in run.stdout.split())
    pages = 20 * (8 << 20) // os.sysconf("SC_PAGE_SIZE")
    assert first < pages // 5, (first, second)
    assert second * 5 < pages, (first, second)  # the second call found its pages (released: all 20)
    if hold is not None:
        assert "NX5D_HEAP_HOLD='not-a-number' is not a number" in run.stderr
