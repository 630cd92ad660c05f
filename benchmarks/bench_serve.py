"""Serving benchmarks: nx5d serve (a server process) and the tiled client, side by side with
tiled's own floor (a plain tiled server holding one small array) and local reads.

- one frame over HTTP vs tiled's floor per request (target <= 1.5x) and vs ``scan.lazy()``
- the full 5,187-frame stack over HTTP (default compression, and ``Accept-Encoding: identity``
  as on a LAN) vs ``scan.raw`` read locally (target <= 3x)
- the metadata listing of a 1,200-scan proposal from a fresh server (target <= 1 s cold)
- a load run: 8 clients x 60 s of single frames, p50/p99 latency and errors, against the
  server with its gate and limits and, side by side, the same tree without them (before)

Run: .venv/bin/python benchmarks/bench_serve.py [--frames 5187] [--only load --load-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report

from nx5d_core.testing.serving import free_port

KEY = "benchkey0123456789"
FLOOR = textwrap.dedent(
    """
    import sys, numpy, uvicorn
    from tiled.adapters.array import ArrayAdapter
    from tiled.adapters.mapping import MapAdapter
    from tiled.config import Authentication
    from tiled.server.app import build_app
    frames = int(sys.argv[3])
    stack = numpy.zeros((frames, 195, 487), dtype="int32")  # a scan's size, held in memory
    tree = MapAdapter({
        "x": ArrayAdapter.from_array(numpy.arange(10)),
        "stack": ArrayAdapter.from_array(stack, chunks=((64,) * (frames // 64) + ((frames % 64,) if frames % 64 else ()), (195,), (487,))),
    })
    app = build_app(tree, authentication=Authentication(single_user_api_key=sys.argv[2]))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def start(command: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """A server process; returns it and its URL once it answers."""
    import httpx

    port = free_port()
    process = subprocess.Popen([*command[:1], *[c.replace("PORT", str(port)) for c in command[1:]]])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    msg = f"server {command} did not start"
    raise RuntimeError(msg)


def nx5d_serve(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start(
        [sys.executable, "-m", "nx5d_core", "serve", str(root), "--port", "PORT", "--api-key", KEY]
    )


def bench_frames(root: Path, frames: int) -> None:
    import numpy as np
    from tiled.client import from_uri

    import nx5d_core

    floor_process, floor_url = start([sys.executable, "-c", FLOOR, "PORT", KEY, str(frames)])
    process, url = nx5d_serve(root)
    try:
        scan = nx5d_core.open_repository(str(root))["20210205"]["091726"]
        lazy = scan.lazy()
        floor_client = from_uri(floor_url, api_key=KEY)
        client = from_uri(url, api_key=KEY)
        identity = from_uri(url, api_key=KEY, headers={"accept-encoding": "identity"})
        tiny = floor_client["x"]
        images = client["20210205"]["091726"]["images"]
        rng = np.random.default_rng(0)
        picks = iter(rng.integers(0, frames, size=1000).tolist())
        t_floor = median_time(lambda: tiny[3], repeat=41, warmup=3)
        same = floor_client["stack"]
        t_same = median_time(lambda: same[next(picks)], repeat=41, warmup=3)
        t_http = median_time(lambda: images[next(picks)], repeat=41, warmup=3)
        plain = identity["20210205"]["091726"]["images"]
        t_plain = median_time(lambda: plain[next(picks)], repeat=41, warmup=3)
        t_local = median_time(lambda: lazy["images"][next(picks)].values, repeat=41, warmup=3)
        i = int(rng.integers(0, frames))
        assert np.array_equal(images[i], lazy["images"][i].values)
        report("tiled floor: one tiny array read (plain tiled server)", t_floor * 1e3, unit="ms")
        report("tiled floor: one frame-sized slice of an in-memory array", t_same * 1e3, unit="ms")
        report("one frame over HTTP (nx5d serve, tiled client)", t_http * 1e3, unit="ms")
        report("one frame over HTTP, Accept-Encoding: identity", t_plain * 1e3, unit="ms")
        report("one frame from scan.lazy() locally", t_local * 1e3, unit="ms")
        report(
            "one frame over HTTP / tiled floor", t_http / t_floor, unit="x", target="target <= 1.5x", pair=(t_http, t_floor)
        )
        report("  identity / tiled floor", t_plain / t_floor, unit="x")
        report("one frame over HTTP / frame-sized tiled floor", t_http / t_same, unit="x")

        def local_raw() -> None:
            nx5d_core.open_repository(str(root))["20210205"]["091726"].read()

        t_raw = median_time(local_raw, repeat=3, warmup=1)
        identity_images = identity["20210205"]["091726"]["images"]
        t_identity = median_time(lambda: identity_images.read(), repeat=3, warmup=1)
        t_default = median_time(lambda: images.read(), repeat=3, warmup=0)
        same_identity = from_uri(floor_url, api_key=KEY, headers={"accept-encoding": "identity"})
        bulk = same_identity["stack"]
        t_bulk_floor = median_time(lambda: bulk.read(), repeat=3, warmup=1)
        same_identity.context.close()
        report(f"full stack ({frames} frames) scan.raw locally", t_raw)
        report("full stack over HTTP, Accept-Encoding: identity", t_identity)
        report("full stack over HTTP, default compression", t_default)
        report("full stack from plain tiled, in-memory array, identity", t_bulk_floor)
        report("HTTP identity / local raw", t_identity / t_raw, unit="x", target="target <= 3x", pair=(t_identity, t_raw))
        report("HTTP identity / plain tiled in-memory", t_identity / t_bulk_floor, unit="x", target="target <= 1.3x", pair=(t_identity, t_bulk_floor))
        report("HTTP compressed / local raw", t_default / t_raw, unit="x")
        for c in (floor_client, client, identity):
            c.context.close()
    finally:
        for p in (process, floor_process):
            p.terminate()
            p.wait(30)


def bench_listing(scans: int) -> None:
    from datetime import timedelta

    from nx5d_udkm.sample import make_listing_repository
    from tiled.client import from_uri

    root = make_listing_repository(Path(tempfile.mkdtemp(prefix="bench-serve-")), proposals=1, scans=scans, every=timedelta(seconds=20))  # fmt: skip
    key = next(p.name for p in root.iterdir() if p.is_dir())

    def listing(url: str) -> Any:
        client = from_uri(url, api_key=KEY)
        try:
            return [dict(v.metadata) for v in client[key].values()]
        finally:
            client.context.close()

    times = []
    for _ in range(2):  # a new repository (no index rows yet), then a restarted server
        process, url = nx5d_serve(root)
        try:
            start_time = time.perf_counter()
            rows = listing(url)
            times.append(time.perf_counter() - start_time)
            assert len(rows) == scans
            t_warm = median_time(lambda u=url: listing(u), repeat=3, warmup=0)
        finally:
            process.terminate()
            process.wait(30)
    report(f"metadata listing of {scans} scans, first server, no index rows", times[0])
    report("  the same after a server restart (index on disk)", times[1], target="target <= 1 s")
    report("  the same again, same server (warm)", t_warm)


UNGATED = textwrap.dedent(
    """
    import sys, uvicorn, nx5d_core
    from nx5d_core.serve.app import KeepReservedEscapes, build_app
    repo = nx5d_core.open_repository(sys.argv[3])
    gated = build_app(repo, api_key=sys.argv[2])
    app = KeepReservedEscapes(gated.app.app)  # tiled's app without the gate (before)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def load_run(url: str, path: str, frames: int, *, clients: int, seconds: float) -> tuple[float, float, int, int]:  # fmt: skip
    """(p50, p99 in s, requests, errors) of ``clients`` threads reading random single frames."""
    import random
    import threading

    import httpx
    import numpy as np

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Apikey {KEY}", "Accept-Encoding": "identity"}
        with httpx.Client(trust_env=False, timeout=60, headers=headers) as http:
            while time.monotonic() < deadline:
                frame = rng.randrange(frames)
                start_time = time.perf_counter()
                try:
                    ok = http.get(f"{url}/api/v1/array/full/{path}?slice={frame}&format=application/octet-stream").status_code == 200  # fmt: skip
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - start_time
                with lock:
                    latencies.append(took)
                    errors[0] += not ok

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    p50, p99 = np.percentile(latencies, [50, 99])
    return float(p50), float(p99), len(latencies), errors[0]


def bench_load(root: Path, frames: int, *, clients: int, seconds: float) -> None:
    import nx5d_core

    repo = nx5d_core.open_repository(str(root))
    proposal = repo.keys()[0]
    scan = repo[proposal].keys()[0]
    path = f"{proposal}/{scan}/images"
    runs = {
        "before (tiled without the gate)": [sys.executable, "-c", UNGATED, "PORT", KEY, str(root)],
        "nx5d serve (gate and limits)": [
            sys.executable,
            "-m",
            "nx5d_core",
            "serve",
            str(root),
            "--port",
            "PORT",
            "--api-key",
            KEY,
        ],
    }
    results = {}
    for name, command in runs.items():
        process, url = start(command)
        try:
            load_run(url, path, frames, clients=clients, seconds=2)  # warm: the scan opened
            results[name] = load_run(url, path, frames, clients=clients, seconds=seconds)
        finally:
            process.terminate()
            process.wait(30)
    for name, (p50, p99, count, errors) in results.items():
        print(f"{clients} clients x {seconds:.0f} s of single frames, {name}: p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms, {count} requests, {errors} errors")  # fmt: skip
    (b50, b99, _, _), (a50, a99, _, _) = results.values()
    report("  load p50, gated / before", a50 / b50, unit="x")
    report("  load p99, gated / before", a99 / b99, unit="x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=5187)
    parser.add_argument("--scans", type=int, default=1200)
    parser.add_argument("--only", choices=["frames", "listing", "load"], action="append")
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--load-clients", type=int, default=8)
    args = parser.parse_args()
    only = set(args.only or ["frames", "listing", "load"])
    print(f"load average: {os.getloadavg()}")
    if "frames" in only:
        from bench_udkm import sample

        bench_frames(sample(args.frames, None).parent.parent, args.frames)
    if "listing" in only:
        bench_listing(args.scans)
    if "load" in only:
        from bench_udkm import sample

        root = sample(args.frames, None).parent.parent
        bench_load(root, args.frames, clients=args.load_clients, seconds=args.load_seconds)
    print(f"load average: {os.getloadavg()}")
