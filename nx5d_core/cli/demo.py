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


def plot_rsm(cooked: Any, path: Path, *, delays: int = 4) -> Path:
    """RSMs for a few delays, log colour scale, axes q_y/q_z with units; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LogNorm

    intensity = cooked["intensity"]
    picks = np.unique(np.linspace(0, intensity.sizes["Delay"] - 1, delays).round().astype(int))
    positive = intensity.values[intensity.values > 0]
    norm = LogNorm(vmin=max(positive.min(), 0.5), vmax=positive.max())
    fig, axes = plt.subplots(
        1, len(picks), figsize=(4 * len(picks), 4), sharey=True, constrained_layout=True
    )
    mesh = None
    for ax, i in zip(np.atleast_1d(axes), picks, strict=True):
        frame = intensity.isel(Delay=i)
        mesh = ax.pcolormesh(
            cooked["qy"],
            cooked["qz"],
            frame.T.where(frame.T > 0),
            norm=norm,
            cmap="viridis",
            shading="auto",
        )
        ax.set_title(
            f"Delay = {float(cooked['Delay'][i]):.3g} {cooked['Delay'].attrs.get('units', '')}"
        )
        ax.set_xlabel(f"$q_y$ ({cooked['qy'].attrs['units']})")
    np.atleast_1d(axes)[0].set_ylabel(f"$q_z$ ({cooked['qz'].attrs['units']})")
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label=f"intensity ({intensity.attrs.get('units', '')})")
    scan = cooked.attrs.get("nx5d_scan", "")
    fig.suptitle(f"Reciprocal-space maps, scan {scan}")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
    marker = root / f".complete-{delays}"
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
    print(raw)

    print(
        "\n== spice: seed 'rsm' at the proposal start, anchor a longer distance from scan 101500 on"
    )
    defaults = rsm.RsmParams().model_dump(mode="json")
    zoom = {"grid": [50, 90], "q_range": [-0.03, 0.03, 2.50, 2.72]}  # around the Bragg peaks
    proposal.spice.seed("rsm", {**defaults, **zoom}, type="rsm", author="demo")
    proposal.spice.anchor("rsm", "101500", {"distance_m": 0.52}, author="demo")
    for record in proposal.spice.history("rsm"):
        print(
            f"  rsm @ {record.anchor or '(start)'} r{record.revision}: grid={record.data['grid']} distance={record.data['distance_m']}"
        )

    print(f"\n== cooking reciprocal-space maps per delay for scan {scan.key}")
    cooked = scan.cooked
    print(cooked)
    print(f"  spice used: {cooked.attrs['nx5d_spice']}")

    figure = plot_rsm(cooked, folder / f"rsm-{scan.key}.png")
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
