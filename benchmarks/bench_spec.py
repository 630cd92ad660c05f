"""SPEC reading vs silx's SpecFile (C parser), side by side in one run.

- index and list every scan: the real 106-scan APS 33-ID file and a generated 850-scan file
  (target <= 1.5x silx);
- one scan's columns (target <= 2x silx);
- a 400-point scan with a 2048-channel MCA per point;
- a 10,000-point scan (target < 0.2 s).

silx comes with ``make bench`` (``pip install 'nx5d-spec[bench]'``); without it only our times
are printed. Run: .venv/bin/python benchmarks/bench_spec.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def generated(folder: Path) -> tuple[Path, Path, Path]:
    from nx5d_spec.sample import HEADER, scan_text

    many = folder / "many.dat"
    many.write_text(
        HEADER.format(name="many.dat")
        + "".join(scan_text(i, points=21, seed=i) for i in range(1, 851))
    )
    long = folder / "long.dat"
    long.write_text(HEADER.format(name="long.dat") + scan_text(1, points=10_000))
    mca = folder / "mca.dat"
    rng = np.random.default_rng(0)
    body = scan_text(1, points=400).rstrip("\n").splitlines()
    head = [line for line in body if line.startswith("#")] + ["#@MCA 16C", "#@CHANN 2048 0 2047 1"]
    lines = head
    for row in (line for line in body if not line.startswith("#")):
        counts = rng.poisson(5, 2048)
        chunks = [" ".join(map(str, counts[i : i + 16])) for i in range(0, 2048, 16)]
        lines.append("@A " + "\\\n ".join(chunks))
        lines.append(row)
    mca.write_text(HEADER.format(name="mca.dat") + "\n".join(lines) + "\n\n")
    return many, long, mca


def ours_list(path: Path) -> int:
    import nx5d_core

    repo = nx5d_core.open_repository(str(path), adapter="spec")
    return len(repo[repo.only_proposal or ""].keys())


def ours_scan(path: Path, key: str) -> object:
    import nx5d_core

    repo = nx5d_core.open_repository(str(path), adapter="spec")
    return repo[repo.only_proposal or ""][key].raw


def main() -> None:
    try:
        from silx.io.specfile import SpecFile
    except ImportError:
        SpecFile = None
        print("silx not installed (pip install 'nx5d-spec[bench]'): our times only")
    print(f"load average: {os.getloadavg()}")
    folder = Path(tempfile.mkdtemp())
    many, long, mca = generated(folder)
    real = REAL / "APS/33-ID_psic/samplecheck_7_17_03/33id_spec.dat"
    cases = [("106-scan APS 33-ID file", real), ("850-scan generated file", many)]
    for label, path in cases:
        if not path.exists():
            continue
        t_ours = median_time(lambda p=path: ours_list(p), repeat=21)
        report(f"index + list: {label}", t_ours)
        if SpecFile is not None:
            t_silx = median_time(lambda p=path: SpecFile(str(p)).keys(), repeat=21)
            report("  silx SpecFile(...).keys()", t_silx)
            report("  ratio", t_ours / t_silx, unit="x", target="(target <= 1.5x)", pair=(t_ours, t_silx))
    reads = [
        ("one scan, 41 points + MCA (33-ID #S 1)", real, "1", 0),
        ("400 points x 2048-channel MCA", mca, "1", 0),
        ("10,000-point scan", long, "1", 0),
    ]
    for label, path, key, index in reads:
        if not path.exists():
            continue
        t_ours = median_time(lambda p=path, k=key: ours_scan(p, k), repeat=11)
        report(f"read {label}", t_ours, target="(target < 0.2 s)" if "10,000" in label else "")
        if SpecFile is not None:

            def silx_read(p: Path = path, i: int = index) -> None:
                scan = SpecFile(str(p))[i]
                scan.data  # noqa: B018
                if len(scan.mca):
                    np.array([scan.mca[j] for j in range(len(scan.mca))])

            t_silx = median_time(silx_read, repeat=11)
            report("  silx (data + every MCA spectrum)", t_silx)
            report("  ratio", t_ours / t_silx, unit="x", target="(target <= 2x)", pair=(t_ours, t_silx))


if __name__ == "__main__":
    main()
