"""Small XDI files for tests and examples, written as the XDI specification's examples are."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_xdi"]


def write_xdi(
    path: Path,
    *,
    points: int = 20,
    start_time: str = "2013-05-01T10:20:30-05:00",
    element: str = "Cu",
    version_line: str = "# XDI/1.0 GSE/1.0",
    seed: int = 0,
) -> Path:
    """An XDI 1.0 file of a Cu K-edge scan: energy (eV), i0, itrans (counts), a comment."""
    rng = np.random.default_rng(seed)
    energy = np.linspace(8879.0, 9079.0, points)
    i0 = 1e5 + rng.normal(0, 50, points)
    itrans = i0 * np.exp(-1.0 - 1.5 / (1 + np.exp(-(energy - 8979.0) / 3.0)))
    header = [
        version_line,
        "# Column.1: energy eV",
        "# Column.2: i0 counts",
        "# Column.3: itrans counts",
        f"# Element.symbol: {element}",
        "# Element.edge: K",
        "# Mono.d_spacing: 3.13555",
        "# Mono.name: Si 111",
        "# Facility.name: APS",
        "# Beamline.name: 13-ID-E",
        f"# Scan.start_time: {start_time}",
        f"# Sample.name: {element} foil",
        "# ///",
        "# a foil, room temperature",
        "#----",
        "# energy i0 itrans",
    ]
    rows = [f"{e:.3f} {a:.1f} {b:.1f}" for e, a, b in zip(energy, i0, itrans, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*header, *rows]) + "\n", encoding="utf-8")
    return path
