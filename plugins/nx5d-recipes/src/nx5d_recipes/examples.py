"""The published reference: xrayutilities 1.8.0's ESRF ID10B InP example, data and code path.

The SPEC file (``examples/data/test.spec.bz2``, InP reciprocal-space maps recorded at ESRF ID10B
in 2010, courtesy of D. Kriegner) ships only in the xrayutilities source distribution. ``make
test`` downloads that sdist once into ``.cache/sdist`` (``pip download``); nothing is fetched
at run time. :func:`reference_maps` runs the example's own code path (``SPECFile`` ->
``Save2HDF5`` -> ``geth5_scan`` -> ``IntensityNormalizer`` -> ``fit_bragg_peak`` ->
``Ang2Q.linear`` -> ``Gridder2D``) for checks and benchmarks.
"""

from __future__ import annotations

import bz2
import os
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ID10B_BASE", "ID10B_MAPS", "find_sdist", "id10b_spec", "id10b_spice", "reference_maps"]

SDIST = "xrayutilities-1.8.0.tar.gz"
MEMBER = "xrayutilities-1.8.0/examples/data/test.spec.bz2"
CACHE_ENV = "NX5D_SDIST_CACHE"

ID10B_BASE: dict[str, Any] = {
    "energy_ev": 8042.5,
    "inplane_direction": [1, 1, -2],
    "surface_normal": [1, 1, 1],
    "detector": {
        "kind": "linear",
        "signal": "mca",
        "center_channel": 715.9,
        "channels_per_degree": 345.28,
        "channels": 1500,
        "direction": "z-",
        "roi": [100, 1340],
    },
    "normalise": {
        "monitor": "Monitor",
        "time": "Seconds",
        "absorber": "detcorr",
        "absorber_divisor": "psd2",
    },
    "gridder": "plain",
}
"""The example's setup as ``rsm`` spice: linear detector along z-, absorber = detcorr / psd2."""

ID10B_MAPS: dict[str, dict[str, Any]] = {
    "333": {"scans": ["36"], "hkl": (3, 3, 3), "aligned": (43.0529, 86.0733), "grid": (200, 201)},
    "224": {
        "scans": ["33", "34", "35"],
        "hkl": (2, 2, 4),
        "aligned": (59.550, 80.099),
        "grid": (400, 600),
    },
}
"""The two maps of the example: scans, substrate peak, first guess of its angles, grid."""


def find_sdist(cache: str | os.PathLike[str] | None = None) -> Path:
    """The cached sdist; :class:`FileNotFoundError` says where it looked and how to fill it."""
    folder = Path(
        cache or os.environ.get(CACHE_ENV) or Path(__file__).parents[4] / ".cache" / "sdist"
    )
    path = folder / SDIST
    if not path.is_file():
        msg = (
            f"{path} is missing: run `make test` (it runs `pip download --no-deps --no-binary "
            f"xrayutilities xrayutilities==1.8.0 -d {folder}`) or set {CACHE_ENV}"
        )
        raise FileNotFoundError(msg)
    return path


def id10b_spec(
    into: str | os.PathLike[str], *, cache: str | os.PathLike[str] | None = None
) -> Path:
    """Decompress the example's SPEC file into the folder ``into`` (as ``test.spec``)."""
    target = Path(into) / "test.spec"
    with tarfile.open(find_sdist(cache)) as sdist:
        member = sdist.extractfile(MEMBER)
        if member is None:
            msg = f"{MEMBER} is not a file in {find_sdist(cache)}"
            raise FileNotFoundError(msg)
        target.write_bytes(bz2.decompress(member.read()))
    return target


def id10b_spice(offsets: tuple[float, float], *, grid: tuple[int, int]) -> dict[str, Any]:
    """``rsm`` spice for one map: the base setup, omega/gamma circles with alignment offsets
    ``(d_omega, d_gamma)`` = measured peak - nominal peak (subtracted from the angles)."""
    d_omega, d_gamma = offsets
    return {
        **ID10B_BASE,
        "sample_circles": [{"axis": "x+", "angle": "omega", "offset": -d_omega}],
        "detector_circles": [{"axis": "x+", "angle": "gamma", "offset": -d_gamma}],
        "grid": list(grid),
    }


def reference_maps(
    spec: str | os.PathLike[str], *, workdir: str | os.PathLike[str]
) -> dict[str, Any]:
    """The example's code path on ``spec``: per map, the grid, its axes and the fitted offsets."""
    import xrayutilities as xu

    base, detector = ID10B_BASE, ID10B_BASE["detector"]
    norm = ID10B_BASE["normalise"]
    normalizer = xu.IntensityNormalizer(
        "MCA",
        mon=norm["monitor"],
        time=norm["time"],
        absfun=lambda d: d[norm["absorber"]] / d[norm["absorber_divisor"]].astype(float),
    )
    inp = xu.materials.InP
    hxrd = xu.HXRD(inp.Q(1, 1, -2), inp.Q(1, 1, 1), en=base["energy_ev"])
    roi = list(detector["roi"])
    hxrd.Ang2Q.init_linear(
        detector["direction"],
        detector["center_channel"],
        float(detector["channels"]),
        chpdeg=detector["channels_per_degree"],
        roi=roi,
    )
    spec = Path(spec)
    h5 = Path(workdir) / "reference.h5"
    xu.io.SPECFile(spec.name, path=str(spec.parent)).Save2HDF5(str(h5))
    out: dict[str, Any] = {}
    for name, setup in ID10B_MAPS.items():
        nominal_om, _, _, nominal_tt = hxrd.Q2Ang(inp.Q(*setup["hkl"]))
        scans = tuple(int(s) for s in setup["scans"])
        [om, tt], data = xu.io.geth5_scan(
            str(h5), scans if len(scans) > 1 else scans[0], "omega", "gamma"
        )
        psd = xu.blockAveragePSD(normalizer(data), 1, roi=roi)
        om_fit, tt_fit, _, _ = xu.analysis.fit_bragg_peak(
            om, tt, psd, *setup["aligned"], hxrd, plot=False
        )
        offsets = (float(om_fit - nominal_om), float(tt_fit - nominal_tt))
        _, qy, qz = hxrd.Ang2Q.linear(om, tt, delta=list(offsets))
        gridder = xu.Gridder2D(*setup["grid"])
        gridder(qy, qz, psd)
        out[name] = {
            "data": np.asarray(gridder.data),
            "qy": np.asarray(gridder.xaxis),
            "qz": np.asarray(gridder.yaxis),
            "offsets": offsets,
        }
    return out
