"""HDF5 benchmarks on the real DLS K11 master (3201 frames via an external link).

- one frame from lazy(): median (target <= 20 ms)
- full read of the same array through the adapter vs plain h5py ``dset[()]`` (target <= 1.2x),
  with the lazy (dask) read and the whole-scan ``raw`` beside it

Run: .venv/bin/python benchmarks/bench_hdf5.py (needs ../shared/data/real or NX5D_REAL_DATA)
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import median_time, report


def main() -> None:
    import h5py
    import numpy as np

    import nx5d_core
    from nx5d_core.testing.fixtures import find_real_data

    logging.getLogger("nx5d_hdf5").setLevel(logging.ERROR)
    real = find_real_data(Path(__file__).resolve().parent)
    if real is None:
        print("real data not found: skipped (set NX5D_REAL_DATA)")
        return
    master = real / "DLS" / "K11_DIAD" / "mg32775-1" / "k11-18014.nxs"
    repo = nx5d_core.open_repository(f"file://{master.parent.parent}/{{proposal}}/{{scan}}.nxs")
    scan = repo["mg32775-1"]["k11-18014"]
    lazy = scan.lazy()
    rng = np.random.default_rng(0)
    picks = iter(rng.integers(0, 3201, size=500).tolist())
    t_frame = median_time(lambda: lazy["data"][next(picks)].values, repeat=101, warmup=5)
    report("K11 imaging: one frame from lazy()", t_frame * 1e3, unit="ms", target="target <= 20 ms")

    def h5py_plain() -> None:
        with h5py.File(master, "r") as f:
            f["entry/imaging/data"][()]

    def ours() -> None:
        scan.refresh()
        _ = scan.raw

    t_h5 = median_time(h5py_plain, repeat=9)
    t_field = median_time(lambda: scan.field("imaging/data"), repeat=9)
    t_lazy = median_time(lambda: lazy["data"].values, repeat=9)
    t_ours = median_time(ours, repeat=5)
    report("K11 imaging (3201x22x26 uint16, 4 MB): plain h5py dset[()]", t_h5)
    report("  scan.field('imaging/data'): the same array through the adapter", t_field)
    report("  ratio field / h5py", t_field / t_h5, unit="x", target="target <= 1.2x", pair=(t_field, t_h5))
    report("  lazy()['data'].values (dask, threaded scheduler)", t_lazy)
    report("  ratio lazy / h5py", t_lazy / t_h5, unit="x")
    report("  scan.raw: signal, axes, image_key, attrs (walks 156 groups)", t_ours)
    report("  ratio raw (whole scan) / h5py (one array)", t_ours / t_h5, unit="x")


if __name__ == "__main__":
    main()
