"""Run every benchmark script in this folder, one after another (`make bench`), then print one
table of every result with a target and whether it is met."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    here = Path(__file__).parent
    only = set(sys.argv[1:])
    sys.path.insert(0, str(here))
    import _util

    for script in sorted(here.glob("bench_*.py")):
        if only and script.stem not in only:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        _util.CURRENT = script.stem
        sys.argv = [str(script)]  # a script's own options (bench_index has some) are not the names given here
        try:
            runpy.run_path(str(script), run_name="__main__")
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' table
            print(f"{script.name} failed: {type(exc).__name__}: {exc}", flush=True)
            _util.RESULTS.append((script.stem, "FAILED", float("nan"), "", f"{type(exc).__name__}: {exc}", ""))
    print("\n" + _util.summary_table())
