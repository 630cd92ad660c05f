"""A UDKM scan on an object store or web server: its frame names checked against one listing
(the reading is :class:`~nx5d_core.series.FrameSeriesScan`'s, see :mod:`nx5d_core.series_remote`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import FrameCountError, MissingFrameError
from .layout import IMAGE

if TYPE_CHECKING:
    from nx5d_core.remote_folder import RemoteFolder

    from .adapter import UdkmScan

__all__ = ["remote_names"]


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
