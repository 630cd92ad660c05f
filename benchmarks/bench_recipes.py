"""Recipe benchmarks, side by side in one run.

- The ESRF ID10B InP maps (333 from scan 36, 224 from scans 33-35): nx5d (SPEC adapter + rsm
  recipe, parameters in spice) vs the xrayutilities 1.8.0 example's own code path (SPECFile ->
  Save2HDF5 -> geth5_scan -> IntensityNormalizer -> blockAveragePSD -> Ang2Q.linear ->
  Gridder2D) with the same alignment offsets (the example's peak fit is left out of both),
  both from the SPEC file on disk; equal results checked (target >= 5x).
- Cooking many UDKM scans with the rsm recipe from ``lazy()``: peak RSS above the imports vs
  the size of one scan's raw data (target <= 0.5x). The scans are hard links of one generated
  scan (disk stays small; every scan is read and cooked in full).

Needs the xrayutilities sdist in .cache/sdist (``make bench`` fetches it).
Run: .venv/bin/python benchmarks/bench_recipes.py [--scans 100] [--frames 5187]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report


def xu_example_path(spec: Path, workdir: Path, offsets: dict[str, Any]) -> dict[str, Any]:
    """The example's code path with the given offsets (no peak fit)."""
    import numpy as np
    import xrayutilities as xu
    from nx5d_recipes.examples import ID10B_BASE, ID10B_MAPS

    det = ID10B_BASE["detector"]
    normalizer = xu.IntensityNormalizer(
        "MCA",
        mon="Monitor",
        time="Seconds",
        absfun=lambda d: d["detcorr"] / d["psd2"].astype(float),
    )
    inp = xu.materials.InP
    hxrd = xu.HXRD(inp.Q(1, 1, -2), inp.Q(1, 1, 1), en=ID10B_BASE["energy_ev"])
    hxrd.Ang2Q.init_linear(
        det["direction"],
        det["center_channel"],
        1500.0,
        chpdeg=det["channels_per_degree"],
        roi=det["roi"],
    )
    h5 = workdir / "bench.h5"
    h5.unlink(missing_ok=True)
    xu.io.SPECFile(spec.name, path=str(spec.parent)).Save2HDF5(str(h5))
    out = {}
    for name, setup in ID10B_MAPS.items():
        scans = tuple(int(s) for s in setup["scans"])
        [om, tt], data = xu.io.geth5_scan(
            str(h5), scans if len(scans) > 1 else scans[0], "omega", "gamma"
        )
        psd = xu.blockAveragePSD(normalizer(data), 1, roi=det["roi"])
        _, qy, qz = hxrd.Ang2Q.linear(om, tt, delta=list(offsets[name]))
        gridder = xu.Gridder2D(*setup["grid"])
        gridder(qy, qz, psd)
        out[name] = np.asarray(gridder.data)
    return out


def bench_id10b() -> None:
    import numpy as np
    from nx5d_recipes import examples

    import nx5d_core

    work = Path(tempfile.mkdtemp(prefix="bench-id10b-"))
    spec = examples.id10b_spec(work)
    reference = examples.reference_maps(spec, workdir=work)  # the offsets, as the example fits them
    offsets = {name: reference[name]["offsets"] for name in reference}
    url = f"file://{work}/{{proposal}}.spec#{{scan}}"
    spice = work / "spice.sqlite"
    proposal = nx5d_core.open_repository(url, adapter="spec", spice=spice, index=False)["test"]
    proposal.spice.seed("rsm", examples.id10b_spice(offsets["224"], grid=(400, 600)), type="rsm")
    proposal.spice.anchor("rsm", "36", examples.id10b_spice(offsets["333"], grid=(200, 201)))
    results: dict[str, Any] = {}

    def ours() -> None:  # a new repository each time: the file is read again
        fresh = nx5d_core.open_repository(url, adapter="spec", spice=spice, index=False)["test"]
        results["333"] = fresh["36"].cook(recipe="rsm")
        results["224"] = fresh.cook(["33", "34", "35"], recipe="rsm")

    def theirs() -> None:
        results["xu"] = xu_example_path(spec, work, offsets)

    t_ours = median_time(ours, repeat=5)
    t_theirs = median_time(theirs, repeat=3)
    equal = all(
        np.allclose(
            results[n]["intensity"].values[results[n]["coverage"].values > 0],
            results["xu"][n][results[n]["coverage"].values > 0],
            rtol=1e-6,
            atol=0,
        )
        for n in ("333", "224")
    )
    report("ID10B 333 + 224 maps from the SPEC file (nx5d rsm)", t_ours)
    report("ID10B 333 + 224 maps, xrayutilities example path", t_theirs)
    report(
        "speed-up vs the example path",
        t_theirs / t_ours,
        unit="x",
        target=f"target >= 5x; allclose(rtol=1e-6): {equal}",
    )


CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    import numpy as np, nx5d_core, nx5d_udkm, nx5d_recipes.rsm, xrayutilities, scipy.sparse, dask.array
    root = sys.argv[1]
    def rss_now():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    base = rss_now()
    proposal = nx5d_core.open_repository(root, index=False)["20210205"]
    start = time.perf_counter()
    checksum = 0.0
    for key in proposal.keys():
        scan = proposal[key]
        checksum += float(np.nansum(scan.cook(recipe="rsm", lazy=True)["intensity"].values))
        scan.refresh()
    seconds = time.perf_counter() - start
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "peak": peak, "base": base, "scans": len(proposal.keys()), "checksum": checksum}))
    """
)


def many_udkm(scans: int, frames: int) -> Path:
    from nx5d_udkm.sample import make_scan
    from platformdirs import user_cache_dir

    root = Path(user_cache_dir("nx5d")) / "bench" / f"recipes-{scans}x{frames}"
    first = root / "20210205" / "100000"
    shared = root.parent / f"none-{frames}" / "20210205" / "091726"  # bench_udkm's sample
    if not (first / "manifest.dat").exists() and (shared / "manifest.dat").exists():
        first.mkdir(parents=True)
        for path in shared.iterdir():
            os.link(path, first / path.name)
    if not (first / "manifest.dat").exists():
        print(
            f"generating {frames} frames in {first} and {scans - 1} hard-linked copies ...",
            flush=True,
        )
        make_scan(first, frames=frames, delays=24, loops=1)
    for n in range(1, scans):
        folder = root / "20210205" / f"{100000 + n:06d}"
        if not folder.is_dir():
            folder.mkdir(parents=True)
            for path in first.iterdir():
                os.link(path, folder / path.name)
    return root


def bench_many(scans: int, frames: int) -> None:
    root = many_udkm(scans, frames)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, check=True
    )
    run = json.loads(out.stdout.strip().splitlines()[-1])
    raw_bytes = frames * 195 * 487 * 4
    report(f"cook {run['scans']} UDKM scans ({frames} frames) lazily: time", run["seconds"])
    report("  per scan", run["seconds"] / run["scans"])
    report(
        "  peak RSS above imports / one scan's raw",
        (run["peak"] - run["base"]) / raw_bytes,
        unit="x",
        target=f"target <= 0.5x (raw {raw_bytes / 1e6:.0f} MB)",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--frames", type=int, default=5187)  # a real UDKM scan's length
    parser.add_argument("--only", choices=["id10b", "many"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["id10b", "many"])
    print(f"load average: {os.getloadavg()}")
    if "id10b" in only:
        bench_id10b()
    if "many" in only:
        bench_many(args.scans, args.frames)
    print(f"load average: {os.getloadavg()}")
