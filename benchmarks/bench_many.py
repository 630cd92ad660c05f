"""Cooking and reading at scale, side by side in one run:

- ``cook_many`` of 24 short UDKM scans (RSM recipe): serial (one process) vs a process pool of 2
  vs a LocalCluster(2 processes), timed in turn (serial, pool, cluster, serial, ...); the ideal on
  2 cores is 2x (target >= 1.7x for both); the cluster again after its workers were idle long
  enough to give their heap back (``NX5D_HEAP_HOLD``); the same for 200 scans (one round); the per-task
  overhead over the cook itself with a trivial recipe (target <= 50 ms); dask's own overhead per
  task from 200 no-op tasks;
- raw of a 5,187-frame zlib scan from a local S3-protocol server (moto, loopback) vs from disk
  (target <= 2x), and one frame of ``lazy()`` over S3 (target <= 30 ms).

Run: .venv/bin/python benchmarks/bench_many.py [--frames 5187] [--scans 24] [--many 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import interleaved_times, median_time, report

TRIVIAL = """
import xarray as xr
from pydantic import BaseModel
import nx5d_core
from nx5d_core.recipes import Recipe

class Nothing(BaseModel):
    pass

def nothing(raw, params):
    return xr.Dataset(attrs={"frames": 0})

@nx5d_core.hookimpl
def nx5d_register_recipes(registry):
    registry.add(Recipe(name="nothing", model=Nothing, function=nothing, version="1",
                        description="returns at once: what is left is the per-task overhead"))
"""


def _noop(x: int) -> int:
    return x


def _set_env(name: str, value: str | None) -> None:
    """Set (or with ``None`` remove) an environment variable in the process this runs in."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def _install_trivial_recipe(folder: Path) -> None:
    """A recipe ``nothing`` as an installed plugin, seen by this process and every worker
    started after (spawned workers take ``sys.path`` and ``PYTHONPATH``)."""
    from nx5d_core.plugins import refresh_plugins

    (folder / "nx5d_bench_nothing.py").write_text(TRIVIAL)
    dist = folder / "nx5d_bench_nothing-0.0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: nx5d-bench-nothing\nVersion: 0.0.1\n"
    )
    (dist / "entry_points.txt").write_text("[nx5d]\nnothing = nx5d_bench_nothing\n")
    sys.path.insert(0, str(folder))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))  # fmt: skip
    refresh_plugins()


def bench_cook_many(scans: int, many: int) -> None:
    import distributed
    from nx5d_udkm.sample import make_repository

    import nx5d_core
    from nx5d_core.many import close_pool

    keys = [f"{8 + n // 60:02d}{n % 60:02d}{n // 3600:02d}" for n in range(max(scans, many))]
    with tempfile.TemporaryDirectory() as tmp:
        _install_trivial_recipe(Path(tmp))
        root = make_repository(Path(tmp) / "d", scans={"20210205": keys}, delays=4)
        proposal = nx5d_core.open_repository(str(root))["20210205"]
        proposal.spice.seed("rsm", {"grid": [60, 60]}, type="rsm")
        proposal.spice.seed("nothing", {}, type="nothing")
        views = proposal.spice.views()

        def serial(chosen: list[str], recipe: str | None = None) -> None:
            for key in chosen:
                proposal[key].refresh()
                proposal[key].cook(view=views[key], recipe=recipe)

        def parallel(chosen: list[str], recipe: str | None = None, **how: object) -> None:
            results = list(proposal.cook_many(chosen, recipe=recipe, **how))  # type: ignore[arg-type]
            assert all(not isinstance(r, Exception) for _, r in results), results[:2]

        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            short = keys[:scans]
            t_serial, t_pool, t_cluster = interleaved_times(
                lambda: serial(short),
                lambda: parallel(short, workers=2),
                lambda: parallel(short, client=client),
                repeat=5,
            )
            report(f"cook {scans} scans serially (one process)", t_serial)
            report("cook_many, process pool of 2 (kept warm between calls)", t_pool)
            report("  speed-up (ideal on 2 cores: 2x)", t_serial / t_pool, unit="x", target="(target >= 1.7x)", pair=(t_pool, t_serial))  # fmt: skip
            report("cook_many, LocalCluster(2 processes)", t_cluster)
            report("  speed-up (ideal on 2 cores: 2x)", t_serial / t_cluster, unit="x", target="(target >= 1.7x)", pair=(t_cluster, t_serial))  # fmt: skip

            def cold_heap() -> float:  # the workers idle past NX5D_HEAP_HOLD: heap given back
                time.sleep(1.5)
                start = time.perf_counter()
                parallel(short, client=client)
                return time.perf_counter() - start

            client.run(_set_env, "NX5D_HEAP_HOLD", "1")
            t_cold = statistics.median(cold_heap() for _ in range(3))
            client.run(_set_env, "NX5D_HEAP_HOLD", None)
            report("cook_many, LocalCluster(2), workers idle before (heap given back)", t_cold)
            report("  speed-up (ideal on 2 cores: 2x)", t_serial / t_cold, unit="x")

            chosen = keys[:many]
            m_serial, m_pool, m_cluster = interleaved_times(
                lambda: serial(chosen),
                lambda: parallel(chosen, workers=2),
                lambda: parallel(chosen, client=client),
                repeat=1,
            )
            report(f"cook {many} scans serially", m_serial)
            report("  process pool of 2: speed-up (ideal 2x)", m_serial / m_pool, unit="x", target="(target >= 1.7x)", pair=(m_pool, m_serial))  # fmt: skip
            report("  LocalCluster(2): speed-up (ideal 2x)", m_serial / m_cluster, unit="x", target="(target >= 1.7x)", pair=(m_cluster, m_serial))  # fmt: skip

            n = len(chosen)
            o_serial, o_pool, o_cluster = interleaved_times(
                lambda: serial(chosen, "nothing"),
                lambda: parallel(chosen, "nothing", workers=2),
                lambda: parallel(chosen, "nothing", client=client),
                repeat=3,
            )
            report(f"trivial recipe, {n} scans serially, per scan", o_serial / n)
            report("  per-task overhead over it, process pool of 2", (2 * o_pool - o_serial) / n, target="(target <= 50 ms)")  # fmt: skip
            report("  per-task overhead over it, LocalCluster(2)", (2 * o_cluster - o_serial) / n, target="(target <= 50 ms)")  # fmt: skip

            def trivial() -> None:
                futures = client.map(_noop, range(200), pure=False)
                client.gather(futures)

            t_trivial = median_time(trivial, repeat=3) / 200
            report("dask's own overhead per task (200 no-op tasks)", t_trivial, target="(< 20 ms)")
        close_pool()


def bench_s3(frames: int) -> None:
    import s3fs
    from bench_udkm import sample
    from moto.server import ThreadedMotoServer

    import nx5d_core

    folder = sample(frames, "zlib")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        NX5D_INDEX="off",
    )  # fmt: skip
    try:
        fs = s3fs.S3FileSystem()
        fs.mkdir("bench")
        fs.put(f"{folder}/", "bench/udkm/20210205/091726/", recursive=True)
        local = nx5d_core.open_repository(str(folder.parent.parent))["20210205"]["091726"]
        remote = nx5d_core.open_repository("s3://bench/udkm", adapter="udkm")["20210205"]["091726"]
        _ = local.raw

        def from_disk() -> None:
            local.refresh()
            _ = local.raw

        def from_s3() -> None:
            remote.refresh()
            _ = remote.raw

        t_disk = median_time(from_disk, repeat=3)
        t_s3 = median_time(from_s3, repeat=3)
        lazy = remote.lazy()
        t_frame = median_time(lambda: lazy["images"][2000].values, repeat=5)
        report(f"raw of {frames} zlib frames from disk", t_disk)
        report(f"raw of {frames} zlib frames from S3 (moto on loopback)", t_s3)
        report("  S3 / disk", t_s3 / t_disk, unit="x", target="(target <= 2x)", pair=(t_s3, t_disk))
        report(
            "one frame of lazy() over S3 (an 8-frame block)", t_frame, target="(target <= 30 ms)"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=5187)
    parser.add_argument("--scans", type=int, default=24)
    parser.add_argument("--many", type=int, default=200)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    start = time.perf_counter()
    bench_cook_many(args.scans, args.many)
    bench_s3(args.frames)
    print(f"load average: {os.getloadavg()} ({time.perf_counter() - start:.0f} s)")
