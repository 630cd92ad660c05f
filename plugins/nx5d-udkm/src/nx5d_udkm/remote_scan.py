"""A UDKM scan read from an object store or web server (see :mod:`nx5d_udkm.remote`): the
frame names checked against one listing, the read in concurrent batches, ``lazy()`` in small
blocks that each check the identities they were planned with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nx5d_core.series import Frame

from .errors import FrameCountError, MissingFrameError
from .layout import IMAGE, Roi, check_roi

if TYPE_CHECKING:
    import xarray as xr

    from .adapter import UdkmScan
    from .remote import RemoteFolder

__all__ = ["lazy_remote", "read_remote", "remote_names"]


def remote_names(scan: UdkmScan, remote: RemoteFolder) -> list[str]:
    """The frame names of every manifest row, checked against one listing of the folder."""
    names = [f"image{n:05d}.tiff" for n in scan.image_numbers()]
    on_store = {n for n in remote.listing() if IMAGE.match(n)}
    if on_store != set(names):
        absent = sorted(set(names) - on_store)
        extra = sorted(on_store - set(names))
        msg = (
            f"{remote.url('')}: manifest.dat has {len(names)} rows but the folder has "
            f"{len(on_store)} image files; missing: {absent[:3]}; not in the manifest: {extra[:3]}"
        )
        error = MissingFrameError if absent and not extra and len(absent) == 1 else FrameCountError
        raise error(msg)
    return names


def read_remote(
    scan: UdkmScan, remote: RemoteFolder, reduce: int | None, roi: Roi | None
) -> xr.Dataset:
    from nx5d_core.progress import progress_bar

    from .remote import decode_frame

    names = remote_names(scan, remote)
    before = remote.fingerprint(scan._fingerprint_names())
    shape = decode_frame(remote.read(names[0]), where=remote.url(names[0])).shape
    rows, cols = scan._selection(reduce, roi)
    check_roi(roi or scan.options.roi, shape)
    with progress_bar(
        total=len(names),
        unit="frame",
        desc=f"{scan.proposal.key}/{scan.key}",
        show=scan.options.progress,
    ) as bar:
        images = remote.read_frames(names, rows=rows, cols=cols, progress=bar.update)
    scan._observed = before  # compared with a fingerprint after the read, as for files
    return scan._dataset(images, _frames(scan, names), shape=shape, rows=rows, cols=cols)


def lazy_remote(scan: UdkmScan, remote: RemoteFolder, chunk: int) -> xr.Dataset:
    import dask.array as da
    from dask.delayed import delayed

    from .remote import decode_frame

    names = remote_names(scan, remote)
    first = decode_frame(remote.read(names[0]), where=remote.url(names[0]))
    rows, cols = scan._selection(None, None)
    check_roi(scan.options.roi, first.shape)
    sliced = first[rows, cols].shape
    planned = remote.fingerprint(names).identities()  # each block checks these: never mixed frames
    blocks = [
        da.from_delayed(  # type: ignore[no-untyped-call]
            delayed(remote.read_frames)(
                names[i : i + chunk],
                rows=rows,
                cols=cols,
                expect={n: planned[n] for n in names[i : i + chunk]},
            ),
            shape=(len(names[i : i + chunk]), *sliced),
            dtype=first.dtype,
        )
        for i in range(0, len(names), chunk)
    ]
    images = da.concatenate(blocks)  # type: ignore[no-untyped-call]
    return scan._dataset(images, _frames(scan, names), shape=first.shape, rows=rows, cols=cols)


def _frames(scan: UdkmScan, names: list[str]) -> list[Frame]:
    return [Frame(scan.folder / name) for name in names]
