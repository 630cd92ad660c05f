"""``nx5d demo``: the main job on built-in sample data, start to finish.

Generates a small UDKM repository (Pilatus TIFFs + manifests) in the cache folder, lists it,
reads a scan, seeds the ``rsm`` spice parameters, cooks reciprocal-space maps per delay, and
writes a PNG figure and a NeXus file of the result. Needs the ``udkm`` and ``hdf5`` plugins and
matplotlib (all installed by ``make demo``).
"""

from __future__ import annotations

import importlib
import logging
import shutil
import time
from pathlib import Path
from typing import Any

__all__ = ["run_demo"]
logger = logging.getLogger(__name__)

SCANS = {"20210205": ["091726", "101500", "113045"]}


def _need(module: str, hint: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = f"the demo needs {module} ({hint}); run `make demo`, which installs it"
        raise RuntimeError(msg) from exc


def _delay_label(value: float, units: str) -> str:
    return f"{value:.4g} {units}".replace("-", "\u2212")


def _delay_ticks(delays: Any) -> list[float]:
    """Ticks a reader takes in at once on a symlog delay axis: 0 and the decades the delays span,
    written as plain numbers (not ``-10^0``)."""
    import numpy as np

    low, high = float(np.min(delays)), float(np.max(delays))
    ticks = [0.0]
    for k in range(7):
        for v in (10.0**k, -(10.0**k)):
            if low <= v <= high:
                ticks.append(v)
    return sorted(ticks)


def film_peaks(cooked: Any, *, split: float, half_width: float = 0.01, above: bool = False) -> Any:
    """A peak's q_z per delay: background-subtracted centre of mass of the q_y-integrated map
    within ``half_width`` of its maximum below ``split`` (the film) or above it (the substrate)."""
    profile = cooked["intensity"].sum("qy")
    film = profile.where((profile.qz > split) if above else (profile.qz < split), 0)
    top = film.qz[film.argmax("qz")]
    window = film.where(abs(film.qz - top) <= half_width)
    signal = (window - window.min("qz")).fillna(0)
    return (signal * signal.qz).sum("qz") / signal.sum("qz")


def plot_rsm(cooked: Any, path: Path, *, split: float) -> Path:
    """Save :func:`rsm_figure` to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = rsm_figure(cooked, split=split)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def rsm_figure(cooked: Any, *, split: float) -> Any:
    """One glance at the time-resolved effect: the RSM before time zero, the delay-vs-q_z map,
    and q_z line cuts before and after time zero (film peak shifts, substrate stays)."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    intensity = cooked["intensity"]
    delays = cooked["Delay"].values
    units = cooked["Delay"].attrs.get("units", "ps")
    qunit = cooked["qz"].attrs.get("units", "1/angstrom").replace("angstrom", "Å")
    before, after = (
        int(np.argmin(np.abs(delays - delays[delays < 0].max()))) if (delays < 0).any() else 0,
        len(delays) - 1,
    )
    fig, (ax_map, ax_time, ax_cut) = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    first = intensity.isel(Delay=before)
    positive = intensity.values[intensity.values > 0]
    norm = LogNorm(vmin=max(float(np.percentile(positive, 5)), 1e-3), vmax=float(positive.max()))
    ax_map.set_facecolor("0.85")  # bins no detector pixel reached (NaN) show grey
    mesh = ax_map.pcolormesh(
        cooked["qy"],
        cooked["qz"],
        first.T.where(first.T > 0),
        norm=norm,
        cmap="viridis",
        shading="auto",
    )
    fig.colorbar(mesh, ax=ax_map, label="counts per pixel", pad=0.01)
    ax_map.set_title(f"RSM at delay {_delay_label(float(delays[before]), units)}")
    ax_map.set_xlabel(f"$q_y$ ({qunit})")
    ax_map.set_ylabel(f"$q_z$ ({qunit})")
    ax_map.text(
        0.02, 0.02, "grey: outside the detector's reach (no data)", transform=ax_map.transAxes,
        fontsize=7, color="0.2", bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )  # fmt: skip
    profile = intensity.sum("qy")
    strip = ax_time.pcolormesh(
        delays,
        cooked["qz"],
        profile.T.where(profile.T > 0),
        norm=LogNorm(),
        cmap="magma",
        shading="nearest",
    )
    fig.colorbar(strip, ax=ax_time, label="counts", pad=0.01)
    ax_time.set_xscale("symlog", linthresh=1.0)
    ax_time.xaxis.set_major_locator(FixedLocator(_delay_ticks(delays)))
    ax_time.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", "\u2212")))
    ax_time.xaxis.set_minor_locator(NullLocator())
    ax_time.plot(delays, film_peaks(cooked, split=split), "w.-", lw=1, label="film peak")
    ax_time.set_xlabel(f"delay ({units})")
    ax_time.set_ylabel(f"$q_z$ ({qunit})")
    ax_time.set_title("q_y-integrated intensity vs delay")
    ax_time.legend(loc="upper left", fontsize=8)
    for index, style in ((before, "-"), (after, "--")):
        ax_cut.semilogy(
            cooked["qz"],
            profile.isel(Delay=index),
            style,
            label=_delay_label(float(delays[index]), units),
        )
    ax_cut.axvline(split, color="grey", lw=0.5, label="film | substrate: peaks fitted apart")
    ax_cut.set_xlabel(f"$q_z$ ({qunit})")
    ax_cut.set_ylabel("counts (summed over $q_y$)")
    ax_cut.set_title("line cuts: film shifts, substrate stays")
    ax_cut.legend(fontsize=8)
    fig.suptitle(
        f"SrRuO$_3$ on SrTiO$_3$ (002), scan {cooked.attrs.get('nx5d_scan', '')}: lattice expansion after excitation"
    )
    return fig


def run_demo(*, out: str | None = None, frames: int | None = None) -> Path:
    """Run the demo, writing under ``out`` (default: the user cache folder); returns that folder."""
    import platformdirs

    from ..opening import open_repository

    sample = _need("nx5d_udkm.sample", "the UDKM plugin, plugins/nx5d-udkm")
    rsm = _need("nx5d_udkm.rsm", "the UDKM plugin")
    hdf5 = _need("nx5d_hdf5", "the HDF5 plugin, plugins/nx5d-hdf5")
    _need("matplotlib", "for the figure")
    start = time.perf_counter()
    folder = Path(out) if out else Path(platformdirs.user_cache_dir("nx5d")) / "demo"
    root = folder / "udkm-sample"
    delays = max(2, (frames or 168) // 21)
    marker = root / f".complete-sro-sto-{delays}"  # a new sample model makes a new marker
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        print(
            f"== generating a UDKM sample repository ({delays} delays x 21 Theta per scan) in {root}"
        )
        sample.make_repository(root, scans=SCANS, delays=delays, loops=1)
        marker.touch()
    spice_path = folder / "spice.sqlite"
    for stale in folder.glob("spice.sqlite*"):
        stale.unlink()

    repo = open_repository(str(root), spice=spice_path, progress=True)
    print(f"\n== repository {repo.url} (adapter {repo.name!r}): proposals {repo.keys()}")
    proposal = repo[-1]
    print(proposal.table()[["type", "num_frames", "time", "delays", "description"]].to_string())

    scan = proposal[-1]
    print(f"\n== scan {scan.key}: reading {scan.summary.num_frames} frames")
    raw = scan.raw
    images = raw["images"]
    print(
        f"  images {images.dims} {tuple(images.shape)} {images.dtype}; Theta "
        f"{float(raw['Theta'].min()):.2f}..{float(raw['Theta'].max()):.2f} deg; "
        f"{raw.sizes['frame']} frames over {len(set(raw['Delay'].values.tolist()))} delays; "
        f"brightest pixel {int(images.max())} counts"
    )

    print(
        "\n== spice: seed 'rsm' at the proposal start, anchor a finer q_z grid from scan 101500 on"
    )
    defaults = rsm.UDKM_RSM  # UDKM's defaults for the rsm recipe, made explicit in spice
    zoom = {"grid": [30, 60], "q_range": [-0.03, 0.03, 3.15, 3.25]}  # SRO and STO (002)
    proposal.spice.seed("rsm", {**defaults, **zoom}, type="rsm", author="demo")
    proposal.spice.anchor("rsm", "101500", {"grid": [40, 80]}, author="demo")
    for record in proposal.spice.history("rsm"):
        print(
            f"  rsm @ {record.anchor or '(start)'} r{record.revision}: grid={record.data['grid']} distance={record.data['detector']['distance_m']} m"
        )

    print(f"\n== cooking reciprocal-space maps per delay for scan {scan.key}")
    cooked = scan.cooked
    units = cooked["Delay"].attrs.get("units", "ps")
    split = float((sample.Q_FILM + sample.Q_SUBSTRATE) / 2)
    peaks = film_peaks(cooked, split=split)
    substrate = film_peaks(cooked, split=split, half_width=0.004, above=True)
    print(
        f"  maps: {cooked['intensity'].sizes['Delay']} delays x {cooked.sizes['qy']} q_y x {cooked.sizes['qz']} q_z bins"
    )
    print(f"  {'delay':>10}  {'film q_z':>9}  {'strain':>8}  {'STO q_z':>8}   (1/angstrom)")
    reference = float(peaks.isel(Delay=0))
    for i, delay in enumerate(cooked["Delay"].values):
        q = float(peaks.isel(Delay=i))
        print(
            f"  {_delay_label(float(delay), units):>10}  {q:9.4f}  {reference / q - 1:+8.2%}  {float(substrate.isel(Delay=i)):8.4f}"
        )
    print(
        f"  expected: SRO {sample.Q_FILM:.4f} before time zero, STO {sample.Q_SUBSTRATE:.4f} always"
    )
    print(f"  spice used: {cooked.attrs['nx5d_spice']}")

    cooked.attrs["start_time"] = scan.summary.time.isoformat() if scan.summary.time else ""
    figure = plot_rsm(cooked, folder / f"rsm-{scan.key}.png", split=split)
    nexus = hdf5.write_nexus(cooked, path=folder / f"rsm-{scan.key}.nxs")
    back = open_repository(f"file://{folder}/{{proposal}}-{{scan}}.nxs", adapter="hdf5")["rsm"][
        scan.key
    ].raw
    assert back["intensity"].shape == cooked["intensity"].shape
    print(f"\n== done in {time.perf_counter() - start:.1f} s")
    print(f"  figure:      {figure}")
    print(f"  NeXus file:  {nexus} (reads back through the hdf5 adapter)")
    print(f"  spice store: {spice_path}")
    print(f"  sample data: {root}")
    return folder
