"""Small FIO scans in PETRA III's layout, for tests and examples.

``write_fio`` writes what the DESY online/Sardana writers do (the sections and column lines of
silx's FIO tests, which follow P08's files): ``<folder>/<name>_NNNNN.fio``, and optionally a
Pilatus folder ``<name>_NNNNN/p100k/<name>_NNNNN_00000.tif`` (one TIFF per point, with a
``p100k_index`` column) and a Lambda folder ``<name>_NNNNN/lambda/<name>_NNNNN_00000.nxs``
(``entry/instrument/detector/data``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["frame", "write_fio"]


def frame(point: int, *, shape: tuple[int, int] = (8, 6), dtype: str = "int32") -> np.ndarray:
    """The detector frame a sample scan holds at ``point``."""
    return ((np.arange(shape[0] * shape[1]) * 3 + point * 17) % 1000).reshape(shape).astype(dtype)


def write_fio(
    folder: Path,
    *,
    name: str = "eh1scan",
    number: int = 5,
    points: int = 10,
    pilatus: bool = False,
    lambda_: bool = False,
) -> Path:
    """Write one scan; return the ``.fio`` path."""
    stem = f"{name}_{number:05d}"
    folder.mkdir(parents=True, exist_ok=True)
    omega = 179.998418821 + 0.05 * np.arange(points)
    columns = [" Col 1 omega(encoder) DOUBLE", " Col 2 channel INTEGER", " Col 3 unix time DOUBLE", " Col 4 petra_beamcurrent DOUBLE"]  # fmt: skip
    if pilatus:
        columns.append(" Col 5 p100k_index INTEGER")
    rows = []
    for i in range(points):
        row = f"      {omega[i]:.9f}    3    {1576165741.20308 + i:.5f}    {100.1 - 0.01 * i:.3f}"
        rows.append(row + (f"    {i}" if pilatus else ""))
    text = "\n".join(
        [
            "!", "! Comments", "!", "%c", f"ascan omega 180.0 180.5 {points - 1} 1",
            "user p08user, acquisition started at Thu Dec 12 18:00:00 2019",
            "sweep motor lag: 1.0e-03", "!", "! Parameter", "!", "%p",
            "channel3_exposure = 1.000000e+00", "ScanName = ascan", "energy = 18000.0",
            "sample = None", "!", "! Data", "!", "%d", *columns, *rows, "",
        ]
    )  # fmt: skip
    path = folder / f"{stem}.fio"
    path.write_text(text)
    if pilatus:
        import tifffile

        det = folder / stem / "p100k"
        det.mkdir(parents=True, exist_ok=True)
        for i in range(points):
            tifffile.imwrite(det / f"{stem}_{i:05d}.tif", frame(i))
    if lambda_:
        import h5py

        det = folder / stem / "lambda"
        det.mkdir(parents=True, exist_ok=True)
        with h5py.File(det / f"{stem}_00000.nxs", "w") as handle:
            handle["entry/instrument/detector/data"] = np.stack([frame(i, dtype="uint16") for i in range(points)])  # fmt: skip
    return path
