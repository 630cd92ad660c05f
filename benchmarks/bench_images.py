"""Image series through the images adapter, side by side with the plain fabio loop.

- raw of an EDF series (2,000 frames of 512x512 uint16, 1 GB) vs
  ``np.stack([fabio.open(f).data for f in files])`` (target >= 2x on 2 cores), interleaved
- one frame of ``lazy()`` (target <= 10 ms)
- peak RSS of raw / result nbytes, in a fresh process (target <= 1.3x), and of the loop
- raw of a Pilatus 100k TIFF series (2,000 frames of 195x487 int32, as APS and PETRA III write
  them), decoded on the core's IFD reader, vs the same fabio loop

The series is written once (fabio's EdfImage writer, ESRF's layout) into the user cache folder.
Run: .venv/bin/python benchmarks/bench_images.py [--frames N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import interleaved_times, median_time, report

CHILD = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    import numpy as np, fabio, xarray, dask.array, nx5d_core, nx5d_images
    folder, case = Path(sys.argv[1]), sys.argv[2]
    def rss_now():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    base = rss_now()
    if case == "raw":
        result = nx5d_core.open_repository(str(folder), index=False)[0]["series"].raw["images"].values
    else:
        result = np.stack([fabio.open(str(f)).data for f in sorted(folder.glob("*.edf"))])
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"peak": peak, "base": base, "nbytes": int(result.nbytes)}))
    """
)


def sample(frames: int) -> Path:
    from nx5d_images.sample import write_series
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("nx5d")) / "bench" / f"edf-{frames}" / "p"
    if len(list(folder.glob("*.edf"))) != frames:
        print(f"writing {frames} EDF frames into {folder} ...", flush=True)
        write_series(folder, name="series", frames=frames, shape=(512, 512))
    return folder


def tiff_sample(frames: int) -> Path:
    import tifffile
    from nx5d_images.sample import frame_data
    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("nx5d")) / "bench" / f"tif-{frames}" / "p"
    if len(list(folder.glob("*.tif"))) != frames:
        print(f"writing {frames} TIFF frames into {folder} ...", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(frames):
            tifffile.imwrite(folder / f"pil_{i:05d}.tif", frame_data(i, shape=(195, 487), dtype="int32"))  # fmt: skip
    return folder


def child(folder: Path, case: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder), case], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(frames: int) -> None:
    import fabio
    import numpy as np

    import nx5d_core

    folder = sample(frames)
    files = sorted(folder.glob("*.edf"))
    proposal = nx5d_core.open_repository(str(folder), index=False)[0]

    def ours() -> None:  # a new repository each time: listing and every header read again too
        _ = nx5d_core.open_repository(str(folder), index=False)[0]["series"].raw

    def loop() -> None:
        np.stack([fabio.open(str(f)).data for f in files])

    t_ours, t_loop = interleaved_times(ours, loop, repeat=5)
    load = os.getloadavg()
    print(f"EDF series, {frames} frames of 512x512 uint16, load {load[0]:.1f} {load[1]:.1f}")
    report("raw (images adapter)", t_ours)
    report("np.stack([fabio.open(f).data ...])", t_loop)
    report("speed-up raw vs fabio loop", t_loop / t_ours, unit="x", target="target >= 2x", pair=(t_ours, t_loop))
    lazy = proposal["series"].lazy()
    picks = iter(np.random.default_rng(0).integers(0, frames, size=100).tolist())
    t_frame = median_time(lambda: lazy["images"][next(picks)].values, repeat=41, warmup=3)
    report("one frame from lazy()", t_frame * 1e3, unit="ms", target="target <= 10 ms")
    tiffs = tiff_sample(frames)
    tiff_files = sorted(tiffs.glob("*.tif"))

    def ours_tiff() -> None:
        _ = nx5d_core.open_repository(str(tiffs), index=False)[0]["pil"].raw

    def loop_tiff() -> None:
        np.stack([fabio.open(str(f)).data for f in tiff_files])

    t_ours, t_loop = interleaved_times(ours_tiff, loop_tiff, repeat=5)
    print(f"TIFF series, {frames} frames of 195x487 int32, load {os.getloadavg()[0]:.1f}")
    report("raw (images adapter, IFD reader)", t_ours)
    report("np.stack([fabio.open(f).data ...]) on TIFF", t_loop)
    report("speed-up TIFF raw vs fabio loop", t_loop / t_ours, unit="x", target="target >= 2x", pair=(t_ours, t_loop))
    mine, theirs = child(folder, "raw"), child(folder, "loop")
    report("peak RSS of raw / result nbytes", (mine["peak"] - mine["base"]) / mine["nbytes"], unit="x", target="target <= 1.3x")  # fmt: skip
    report("peak RSS of fabio loop / result nbytes", (theirs["peak"] - theirs["base"]) / theirs["nbytes"], unit="x")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=2000)
    main(parser.parse_args().frames)
