"""Realistic UDKM sample scans: SrRuO3 on SrTiO3 (001), the (002) reflections at Cu Kα1.

Physics and geometry agree with the cook (:class:`~nx5d_udkm.rsm.RsmParams` defaults): 8.047
keV (λ = 1.5407 Å); substrate STO a = 3.905 Å, q_z = 4π/a = 3.218 1/Å (θ_B = 23.24°); film SRO
c = 3.950 Å, q_z = 3.181 1/Å (θ_B = 22.96°). The detector arm stands at 2θ = 46.2°, the sample
rocks in Theta from 22.60 to 23.60° in 0.05° steps for each pump-probe delay. Every pixel's q
comes from the same xrayutilities conversion the cook uses, and the intensity is a Gaussian
around each reciprocal-lattice point; after time zero the film expands (0.15 % within ~30 ps),
so its peak moves to lower q_z while the substrate stays. Counts: Poisson background, bad
pixels at -2, int32 frames.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_THETAS",
    "delay_values",
    "make_listing_repository",
    "make_repository",
    "make_scan",
]
logger = logging.getLogger(__name__)

DEFAULT_THETAS = tuple(np.round(np.arange(22.60, 23.60 + 1e-9, 0.05), 4).tolist())
ENERGY_EV = 8047.0
Q_SUBSTRATE = 4 * np.pi / 3.905  # STO (002), 1/Å
Q_FILM = 4 * np.pi / 3.950  # SRO (002), 1/Å
FILM_STRAIN = 0.0015  # photo-induced expansion after time zero

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
TWO_THETA_DETECTOR = 46.2
TIME_ZONE = timezone(timedelta(hours=1))


def delay_values(count: int) -> np.ndarray:
    """``count`` pump-probe delays in ps: dense around time zero, then logarithmic to 1 ns."""
    before = max(1, count // 6) if count >= 2 else 0
    after = count - before
    return np.round(
        np.concatenate([np.linspace(-10.0, -0.5, before), np.geomspace(0.5, 1000.0, after)]), 4
    )


def film_qz(delay: float) -> float:
    """q_z of the film peak at ``delay`` (ps): expanded by up to 0.15 % after time zero."""
    strain = FILM_STRAIN * (1.0 - np.exp(-delay / 30.0)) if delay > 0 else 0.0
    return float(Q_FILM / (1.0 + strain))


def _q_of_pixels(
    thetas: Sequence[float], shape: tuple[int, int]
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """(qy, qz) of every pixel at each sample angle, from the cook's own conversion."""
    from .rsm import params, q_maps

    distinct = sorted({float(t) for t in thetas})
    angles = np.array(distinct * (2 if len(distinct) == 1 else 1))  # xrayutilities wants >1
    qy, qz = q_maps(angles, params=params(), rows=np.arange(shape[0]), cols=np.arange(shape[1]))
    return {theta: (qy[i], qz[i]) for i, theta in enumerate(distinct)}


def _frame(
    rng: np.random.Generator,
    background: np.ndarray,
    q: tuple[np.ndarray, np.ndarray],
    delay: float,
    shape: tuple[int, int],
) -> np.ndarray:
    frame = background.copy()
    qy, qz = q
    rows = np.arange(shape[0])[:, None]
    band = np.exp(-0.5 * ((rows - shape[0] / 2) / 6.0) ** 2)  # out of the scattering plane
    expected = np.zeros(shape)
    for q0, amplitude, width_z, width_y in (
        (film_qz(delay), 3000.0, 0.004, 0.0025),
        (Q_SUBSTRATE, 20000.0, 0.0015, 0.0012),
    ):
        expected += amplitude * np.exp(-0.5 * (((qz - q0) / width_z) ** 2 + (qy / width_y) ** 2))
    expected *= band
    hot = expected > 0.05
    frame[hot] += rng.poisson(expected[hot]).astype(np.int32)
    for r, c in BAD_PIXELS:
        if r < rows.size and c < shape[1]:
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

    q_by_theta = _q_of_pixels(thetas, shape)

    def write(job: tuple[int, float, float, int]) -> float:
        k, theta, delay, frame_seed = job
        q = q_by_theta[theta]
        frame = _frame(np.random.default_rng(frame_seed), pool[k % len(pool)], q, delay, shape)
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


SAMPLES = ("SrRuO3 on SrTiO3", "InP (001)", "Bi2Se3 film", "Fe/MgO multilayer", "GaN nanowires")
KINDS = ("delay-theta", "rocking", "timescan", "alignment")


def make_listing_repository(
    root: Path,
    *,
    proposals: int,
    scans: int,
    start: datetime | None = None,
    every: timedelta = timedelta(minutes=1),
) -> Path:
    """Many scan folders with only manifest.dat and parameters.txt (no frames): what listings,
    summaries, the summary index and searches read. ``scans`` per proposal (keys ``HHMMSS``),
    ``every`` apart; types, samples and descriptions vary so that queries select subsets."""
    first = start or datetime(2021, 2, 5, 8, 0, tzinfo=TIME_ZONE)
    if (first + every * (scans - 1)).date() != first.date():
        msg = f"{scans} scans {every} apart from {first:%H:%M:%S} do not fit in one day (keys are HHMMSS)"
        raise ValueError(msg)
    manifest = "% " + "\t".join(COLUMNS) + "\n"
    for p in range(proposals):
        day = first + timedelta(days=p)
        proposal = root / day.strftime("%Y%m%d")
        for s in range(scans):
            when = day + every * s
            folder = proposal / when.strftime("%H%M%S")
            folder.mkdir(parents=True, exist_ok=True)
            n = p * scans + s
            rows = [
                f"0\t{d}\t{t}\t{22.6 + 0.05 * t:.4f}\t1.2\t1e5\t0\t1\t{2 * d + t}\t0"
                for d in range(2)
                for t in range(2)
            ]
            (folder / "manifest.dat").write_text(
                manifest + "\n".join(rows) + "\n", encoding="utf-8"
            )
            (folder / "parameters.txt").write_text(
                f"type = {KINDS[n % len(KINDS)]}\nstart_time = {when.isoformat()}\n"
                f"description = {SAMPLES[n % len(SAMPLES)]} scan {n}\n",
                encoding="utf-8",
            )
    return root
