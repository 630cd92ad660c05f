"""Sample data in this adapter's layout, for tests and first steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile


def make_sample(root: Path, *, frames: int = 4, shape: tuple[int, int] = (8, 10)) -> Path:
    """Write two proposals with three scans each under ``root`` and return ``root``."""
    rng = np.random.default_rng(0)
    for proposal in ("2024-05-01", "2024-05-02"):
        for scan in ("r1", "r2", "r10"):
            folder = root / proposal / scan
            folder.mkdir(parents=True, exist_ok=True)
{%- if cookiecutter.layout != "frame-series" %}
            theta = np.linspace(10.0, 11.0, frames)
            monitor = rng.uniform(0.9, 1.1, frames)
            rows = [f"{t:.4f},{m:.6f}" for t, m in zip(theta, monitor, strict=True)]
            lines = ["theta,monitor", *rows]
            (folder / "counters.csv").write_text("\n".join(lines) + "\n")
{%- endif %}
            for i in range(frames):
                frame = rng.poisson(5, shape).astype(np.uint16)
                tifffile.imwrite(folder / f"frame_{i:05d}.tif", frame)
    return root
