"""Cooking and reading at scale, side by side in one run:

- ``cook_many`` of 24 UDKM scans: serial (one process) vs a process pool of 2 vs a
  LocalCluster(2 processes); the ideal on 2 cores is 2x; scheduler overhead per task from 200
  trivial tasks on the same cluster;
- raw of a 5,187-frame zlib scan from a local S3-protocol server (moto, loopback) vs from disk
  (target <= 2x), and one frame of ``lazy()`` over S3 (target <= 30 ms).

Run: .venv/bin/python benchmarks/bench_many.py [--frames 5187] [--scans 24]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report


def _noop(x: int) -> int:
    return x


def bench_cook_many(scans: int) -> None:
    import distributed
    from nx5d_udkm.sample import make_repository

    import nx5d_core

    keys = [f"{8 + n // 60:02d}{n % 60:02d}00" for n in range(scans)]
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repository(Path(tmp) / "d", scans={"20210205": keys}, delays=4)
        proposal = nx5d_core.open_repository(str(root))["20210205"]
        proposal.spice.seed("rsm", {"grid": [60, 60]}, type="rsm")

        def serial() -> None:
            views = proposal.spice.views()
            for key in keys:
                proposal[key].refresh()
                proposal[key].cook(view=views[key])

        def pool() -> None:
            results = list(proposal.cook_many(workers=2))
            assert all(not isinstance(r, Exception) for _, r in results)

        t_serial = median_time(serial, repeat=3)
        t_pool = median_time(pool, repeat=3)
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):

            def on_cluster() -> None:
                results = list(proposal.cook_many(client=client))
                assert all(not isinstance(r, Exception) for _, r in results)

            t_cluster = median_time(on_cluster, repeat=3)

            def trivial() -> None:
                futures = client.map(_noop, range(200), pure=False)
                client.gather(futures)

            t_trivial = median_time(trivial, repeat=3) / 200
        report(f"cook {scans} scans serially (one process)", t_serial)
        report("cook_many, process pool of 2", t_pool)
        report("  speed-up (ideal on 2 cores: 2x)", t_serial / t_pool, unit="x")
        report("cook_many, LocalCluster(2 processes)", t_cluster)
        report("  speed-up (ideal on 2 cores: 2x)", t_serial / t_cluster, unit="x")
        report("scheduler overhead per task (200 trivial tasks)", t_trivial, target="(< 20 ms)")


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
        report("  S3 / disk", t_s3 / t_disk, unit="x", target="(target <= 2x)")
        report(
            "one frame of lazy() over S3 (an 8-frame block)", t_frame, target="(target <= 30 ms)"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=5187)
    parser.add_argument("--scans", type=int, default=24)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    start = time.perf_counter()
    bench_cook_many(args.scans)
    bench_s3(args.frames)
    print(f"load average: {os.getloadavg()} ({time.perf_counter() - start:.0f} s)")
