"""Realistic UDKM sample scans: a Pilatus 100K rocking-curve series over pump-probe delays.

Geometry (the defaults of :class:`~nx5d_udkm.rsm.RsmParams`): the detector arm stands at 2θ =
37.2°, the sample rocks in Theta, 18.10..19.10° in 0.05° steps, for each delay. A thin-film
Bragg peak (θ_B = 18.6°) lies on a rod along qz, so on the detector it moves by 2ΔTheta along 2θ;
after time zero the lattice expands and θ_B shifts down. A fixed substrate peak sits at 18.9°.
Counts: Poisson background, bad pixels at -2, int32 frames.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_THETAS", "delay_values", "make_repository", "make_scan"]
logger = logging.getLogger(__name__)

DEFAULT_THETAS = tuple(np.round(np.arange(18.10, 19.10 + 1e-9, 0.05), 4).tolist())
COLUMNS = (
    "Loop_Delay",
    "Delay",
    "Loop_Theta",
    "Theta",
    "Crystal [V]",
    "Crystal [ph/s]",
    "Pilatus [ph/s]",
    "Repeats",
    "ImageNumber",
    "Intensities [ph/s]",
)
PILATUS_HEADER = (
    "# Pixel_size 172e-6 m x 172e-6 m\n# Silicon sensor, thickness 0.000450 m\n"
    "# Exposure_time 0.500000 s\n# Exposure_period 0.503000 s\n# Count_cutoff 1048575 counts\n"
)
BAD_PIXELS = (
    (10, 20),
    (50, 300),
    (97, 100),
    (150, 400),
    (180, 33),
    (5, 480),
    (120, 244),
    (60, 60),
    (33, 333),
    (190, 190),
    (77, 7),
    (111, 411),
)
TWO_THETA_DETECTOR = 37.2
PIXEL_DEG = float(np.degrees(172e-6 / 0.5))
TIME_ZONE = timezone(timedelta(hours=1))


def delay_values(count: int) -> np.ndarray:
    """``count`` pump-probe delays in ps: dense around time zero, then logarithmic to 1 ns."""
    before = max(1, count // 6) if count >= 2 else 0
    after = count - before
    return np.round(
        np.concatenate([np.linspace(-10.0, -0.5, before), np.geomspace(0.5, 1000.0, after)]), 4
    )


def _theta_bragg(delay: float) -> float:
    return 18.6 - (0.04 * (1.0 - np.exp(-delay / 30.0)) if delay > 0 else 0.0)


def _frame(
    rng: np.random.Generator,
    background: np.ndarray,
    theta: float,
    delay: float,
    shape: tuple[int, int],
) -> np.ndarray:
    frame = background.copy()
    rows, cols = shape
    for theta_b, amplitude in ((_theta_bragg(delay), 4000.0), (18.9, 1500.0)):
        strength = amplitude * np.exp(-0.5 * ((theta - theta_b) / 0.08) ** 2)
        if strength < 0.5:
            continue
        col = cols / 2 + (2 * theta - TWO_THETA_DETECTOR) / PIXEL_DEG
        row = rows / 2 + 0.3 * (theta - 18.6) / 0.05
        r0, c0 = int(row) - 12, int(col) - 12
        yy, xx = np.mgrid[r0 : r0 + 25, c0 : c0 + 25]
        inside = (yy >= 0) & (yy < rows) & (xx >= 0) & (xx < cols)
        expected = strength * np.exp(-0.5 * (((yy - row) / 2.0) ** 2 + ((xx - col) / 2.5) ** 2))
        frame[yy[inside], xx[inside]] += rng.poisson(expected[inside]).astype(np.int32)
    for r, c in BAD_PIXELS:
        if r < rows and c < cols:
            frame[r, c] = -2
    return frame


def make_scan(
    folder: Path,
    *,
    frames: int | None = None,
    delays: int = 122,
    loops: int = 2,
    thetas: Sequence[float] = DEFAULT_THETAS,
    shape: tuple[int, int] = (195, 487),
    compression: str | None = None,
    start: datetime | None = None,
    seed: int = 0,
    workers: int | None = None,
) -> Path:
    """Write one scan folder: manifest.dat, image#####.tiff, parameters.txt.

    Parameters
    ----------
    frames
        Total frames; default ``delays * loops * len(thetas)``. The full UDKM-size scan is 5,187.
    compression
        ``None`` (raw strips, as the Pilatus writes them) or ``"zlib"``.
    """
    import tifffile

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    delay_list = delay_values(delays)
    n = frames if frames is not None else delays * loops * len(thetas)
    pool = rng.poisson(1.5, size=(8, *shape)).astype(np.int32)
    rows = []
    jobs = []
    for k in range(n):
        step, t_index = divmod(k, len(thetas))
        loop, d_index = divmod(step, delays)
        theta, delay = float(thetas[t_index]), float(delay_list[d_index])
        crystal = 1.2e5 * (1 + 0.01 * rng.standard_normal())
        rows.append(
            [
                loop,
                delay,
                t_index,
                theta,
                1.21 + 0.005 * rng.standard_normal(),
                crystal,
                0.0,
                1,
                k,
                0.0,
            ]
        )
        jobs.append((k, theta, delay, int(rng.integers(0, 2**31))))

    def write(job: tuple[int, float, float, int]) -> float:
        k, theta, delay, frame_seed = job
        frame = _frame(np.random.default_rng(frame_seed), pool[k % len(pool)], theta, delay, shape)
        tifffile.imwrite(
            folder / f"image{k:05d}.tiff",
            frame,
            compression=compression,
            description=PILATUS_HEADER,
            metadata=None,
            rowsperstrip=shape[0],
        )
        return float(frame[frame > 0].sum())

    with ThreadPoolExecutor(max_workers=workers) as executor:
        sums = list(executor.map(write, jobs))
    for row, total in zip(rows, sums, strict=True):
        row[6] = total / 0.5
        row[9] = row[6] / row[5] * 1e5
    lines = ["% " + "\t".join(COLUMNS)] + ["\t".join(f"{v:.10g}" for v in row) for row in rows]
    (folder / "manifest.dat").write_text("\n".join(lines) + "\n", encoding="utf-8")
    when = start or datetime(2021, 2, 5, 9, 17, 26, tzinfo=TIME_ZONE)
    (folder / "parameters.txt").write_text(
        "# UDKM pump-probe diffraction, Pilatus 100K\n"
        f"type = delay-theta\nstart_time = {when.isoformat()}\n"
        f"description = SRO/STO rocking curves over {delays} delays, {loops} loops\n"
        "sample = SrRuO3 on SrTiO3 (001)\nenergy_keV = 8.047\nexposure_s = 0.5\n",
        encoding="utf-8",
    )
    logger.info("sample scan with %d frames written to %s", n, folder)
    return folder


def make_repository(
    root: Path,
    *,
    scans: dict[str, Sequence[str]] | None = None,
    delays: int = 6,
    loops: int = 1,
    compression: str | None = None,
    seed: int = 0,
) -> Path:
    """A small repository ``root/{proposal}/{scan}/`` for demos and tests."""
    layout = scans or {"20210205": ["091726", "101500", "113045"]}
    for p_index, (proposal, keys) in enumerate(layout.items()):
        day = (
            datetime.strptime(proposal, "%Y%m%d").replace(tzinfo=TIME_ZONE)
            if proposal.isdigit()
            else datetime(2021, 2, 5, tzinfo=TIME_ZONE)
        )
        for s_index, key in enumerate(keys):
            when = (
                day.replace(hour=int(key[:2]), minute=int(key[2:4]), second=int(key[4:6]))
                if key.isdigit() and len(key) == 6
                else day
            )
            make_scan(
                root / proposal / key,
                delays=delays,
                loops=loops,
                compression=compression,
                start=when,
                seed=seed + 100 * p_index + s_index,
            )
    return root
