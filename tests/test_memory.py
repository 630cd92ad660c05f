"""Bounded memory: looping over a proposal's scans does not keep every scan's data."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np, h5py
    from pathlib import Path
    import nx5d_core

    root, entries = Path(sys.argv[1]), sys.argv[2]
    if entries != "default":
        from nx5d_core.caching import configure
        configure(raw_entries=int(entries))
    (root / "p1").mkdir(parents=True)
    for n in range(50):
        with h5py.File(root / "p1" / f"s{n}.h5", "w") as f:
            e = f.create_group("entry"); e.attrs["NX_class"] = "NXentry"
            d = e.create_group("data"); d.attrs.update({"NX_class": "NXdata", "signal": "frames"})
            d["frames"] = np.full((16, 256, 256), n, dtype=np.float64)  # 8 MiB
    def peak():
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM:"))
    proposal = nx5d_core.open_repository(f"file://{root}/{{proposal}}/{{scan}}.h5")["p1"]
    first = proposal[proposal.keys()[0]].raw
    size, base = first["frames"].nbytes, peak()
    del first
    total = 0.0
    for key in proposal:
        total += float(proposal[key].raw["frames"][0, 0, 0])
    print(json.dumps({"size": size, "grew": peak() - base, "total": total}))
    """
)


def _run(tmp_path: Path, entries: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / entries), entries],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_reading_fifty_scans_in_a_loop_keeps_memory_bounded(tmp_path: Path) -> None:
    result = _run(tmp_path, "default")
    assert result["total"] == sum(range(50))  # every scan was read, with its own data
    assert result["grew"] < 3 * result["size"], result  # below three scans' worth


@pytest.mark.slow
def test_raw_caching_can_be_turned_off_and_widened(tmp_path: Path) -> None:
    from nx5d_core.caching import configure, raw_cache

    off = _run(tmp_path, "0")
    assert off["grew"] < 3 * off["size"], off
    from nx5d_memory import MemoryRepository

    repo = MemoryRepository.from_dict({"p": {"a": [1, 2], "b": [3]}})
    try:
        configure(raw_entries=0)
        scan = repo["p"]["a"]
        assert scan.raw is not scan.raw  # nothing kept: each access reads again
        configure(raw_entries=2)
        a, b = repo["p"]["a"], repo["p"]["b"]
        assert a.raw is a.raw
        assert b.raw is b.raw
    finally:
        configure(raw_entries=1)
    assert raw_cache.entries == 1
