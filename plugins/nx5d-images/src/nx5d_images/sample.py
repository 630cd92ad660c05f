"""Small image series written with fabio's own writers, for tests and examples.

``write_series`` reproduces what ESRF's SPEC ``ccd`` macros and LIMA write: one EDF per frame,
``name_NNNN.edf``, the motor and counter values of each point in ``motor_mne``/``motor_pos``
and ``counter_mne``/``counter_pos`` header pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["frame_data", "write_series"]


def frame_data(index: int, *, shape: tuple[int, int] = (16, 12), dtype: str = "uint16") -> np.ndarray:  # fmt: skip
    """The frame a sample series holds at ``index`` (distinct per frame)."""
    values = (np.arange(shape[0] * shape[1]) * 7 + index * 131) % 60000
    return values.reshape(shape).astype(dtype)


def write_series(
    folder: Path,
    *,
    name: str = "scan",
    frames: int = 5,
    fmt: str = "edf",
    shape: tuple[int, int] = (16, 12),
    dtype: str = "uint16",
    numbers: Sequence[int] | None = None,
    digits: int = 4,
) -> list[Path]:
    """Write ``name_NNNN.<fmt>`` files (``edf``, ``cbf``, ``tif``, ``img`` for ADSC) into
    ``folder``; EDF headers carry a scanned motor ``th`` and a counter ``mon`` per frame."""
    from fabio.adscimage import AdscImage
    from fabio.cbfimage import CbfImage
    from fabio.edfimage import EdfImage
    from fabio.tifimage import TifImage

    writers = {"edf": EdfImage, "cbf": CbfImage, "tif": TifImage, "img": AdscImage}
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, number in enumerate(numbers if numbers is not None else range(frames)):
        data = frame_data(i, shape=shape, dtype=dtype)
        header = {}
        if fmt == "edf":
            header = {
                "motor_mne": "th tth chi",
                "motor_pos": f"{0.5 * i:g} 30 90",
                "counter_mne": "sec mon",
                "counter_pos": f"1 {1000 + i}",
                "title": "ascan th 0 2 4 1",
            }
        path = folder / f"{name}_{number:0{digits}d}.{fmt}"
        writers[fmt](data=data, header=header).write(str(path))
        paths.append(path)
    return paths
