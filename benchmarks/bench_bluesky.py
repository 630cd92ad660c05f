"""Bluesky runs in a tiled server, nx5d vs tiled's own client, side by side in one run:

- listing the runs of a proposal with their summaries (scan id, plan, exit status: the start
  and stop documents) in a new repository, vs a tiled search of the same runs reading the same
  documents (target <= 1.2x);
- reading one primary stream, ``scan.raw`` vs ``client[uid]["primary"].read()`` (target <= 1.2x);
- one frame of an area detector's run (HDF5 through StreamResource, 100 frames of 512x512):
  ``scan.lazy()`` and a frame vs tiled's dask client reading the stream lazily and a frame
  (``client[uid]["primary"].read()["cam"][k]``; the narrower ``client[uid]["primary"]["cam"][k]``,
  one array and no Dataset, printed beside), and a frame of a lazy Dataset already built vs a
  slice of the tiled array client already fetched.

The runs are written once by bluesky's RunEngine and TiledWriter into a temporary catalog.

Run: .venv/bin/python benchmarks/bench_bluesky.py [--runs 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import interleaved_times, report


def write(url: str, runs: int) -> str:
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from bluesky_tiled_plugins import TiledWriter
    from nx5d_bluesky.sample import KEY
    from ophyd.sim import det, motor
    from tiled.client import from_uri

    client = from_uri(url, api_key=KEY)
    engine = RunEngine({})
    engine.md["data_session"] = "pass-1"
    engine.subscribe(TiledWriter(client))
    for _ in range(runs - 1):
        engine(count([det], 1))
    (uid,) = engine(scan([det], motor, -1, 1, 200))
    client.context.close()
    return str(uid)


def bench(runs: int) -> None:
    import numpy as np
    from nx5d_bluesky.sample import KEY, tiled_server, write_hdf5_run
    from tiled.client import from_uri
    from tiled.queries import Key

    import nx5d_core

    with tempfile.TemporaryDirectory() as tmp, tiled_server(Path(tmp) / "server.log", readable=Path(tmp)) as url:  # fmt: skip
        uid = write(url, runs)
        client = from_uri(url, api_key=KEY)
        frames = np.random.default_rng(0).integers(0, 4000, size=(100, 512, 512), dtype=np.uint16)
        cam = write_hdf5_run(client, Path(tmp) / "cam.h5", scan_id=1, frames=frames, data_session="pass-cam")  # fmt: skip

        def ours_listing() -> None:
            proposal = nx5d_core.open_repository(url, adapter="bluesky", api_key=KEY)["pass-1"]
            entries = proposal.summaries()
            assert len(entries) == runs

        def tiled_listing() -> None:
            found = client.search(Key("start.data_session") == "pass-1")
            rows = [(m["start"].get("scan_id"), m["start"].get("plan_name"), m.get("stop", {}).get("exit_status")) for m in (node.metadata for node in found.values())]  # fmt: skip
            assert len(rows) == runs

        repo = nx5d_core.open_repository(url, adapter="bluesky", api_key=KEY)
        scan = repo["pass-1"][uid]

        def ours_read() -> None:
            scan.refresh()
            _ = scan.raw

        def tiled_read() -> None:
            _ = client[uid]["primary"].read()

        t_ours, t_tiled = interleaved_times(ours_listing, tiled_listing, repeat=5)
        report(f"list {runs} runs with summaries (new repository)", t_ours)
        report("  tiled: search and read the same start/stop documents", t_tiled)
        report("  ratio", t_ours / t_tiled, unit="x", target="(target <= 1.2x)", pair=(t_ours, t_tiled))  # fmt: skip
        r_ours, r_tiled = interleaved_times(ours_read, tiled_read, repeat=15)
        report("read one primary stream (200 events): scan.raw", r_ours)
        report("  tiled: client[uid]['primary'].read()", r_tiled)
        report("  ratio", r_ours / r_tiled, unit="x", target="(target <= 1.2x)", pair=(r_ours, r_tiled))  # fmt: skip
        frame_scan = repo["pass-cam"]["1"]
        turn = iter(range(10**6))

        def ours_first_frame() -> None:
            k = next(turn) % 100
            frame_scan.refresh()
            assert (frame_scan.lazy()["cam"][k].values == frames[k]).all()

        lazy_client = from_uri(url, api_key=KEY, structure_clients="dask")

        def tiled_first_frame() -> None:
            k = next(turn) % 100
            data = lazy_client[cam]["primary"].read()
            assert (data["cam"][k].values == frames[k]).all()

        def tiled_one_array() -> None:
            k = next(turn) % 100
            assert (client[cam]["primary"]["cam"][k] == frames[k]).all()

        f_ours, f_tiled, f_array = interleaved_times(ours_first_frame, tiled_first_frame, tiled_one_array, repeat=15)  # fmt: skip
        report("lazy() + one 512x512 frame of an HDF5 detector run", f_ours)
        report("  tiled: dask client, stream.read() + one frame", f_tiled)
        report("  tiled: client[uid]['primary']['cam'][k] (no Dataset)", f_array)
        report("  ratio", f_ours / f_tiled, unit="x", target="(target <= 1.2x)", pair=(f_ours, f_tiled))  # fmt: skip
        lazy = frame_scan.lazy()
        array = client[cam]["primary"]["cam"]

        def ours_frame() -> None:
            k = next(turn) % 100
            assert (lazy["cam"][k].values == frames[k]).all()

        def tiled_frame() -> None:
            k = next(turn) % 100
            assert (array[k] == frames[k]).all()

        w_ours, w_tiled = interleaved_times(ours_frame, tiled_frame, repeat=30)
        report("one frame of a lazy Dataset already built", w_ours)
        report("  tiled: a slice of the array client already fetched", w_tiled)
        report("  ratio", w_ours / w_tiled, unit="x", target="(target <= 1.2x)", pair=(w_ours, w_tiled))  # fmt: skip
        client.context.close()
        lazy_client.context.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    bench(args.runs)
    print(f"load average: {os.getloadavg()}")
