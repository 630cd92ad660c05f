"""A scan's streams: ``primary`` (its raw data) and the adapter's others, as Bluesky runs have
(``baseline`` readings before and after, ``monitors`` read on their own clock).

Every adapter has ``primary``; one with more names them in ``Scan._list_streams`` and reads
them in ``Scan._get_stream``. A stream is read each time it is asked for (no cache, so never
stale), with the scan's fingerprint taken before and after as for ``raw``: a change in between
raises, unless the adapter marked the read a consistent snapshot of data still being written
(``nx5d_core.scan.SNAPSHOT``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import AdapterContractError, FilesChangedError, KeyNotFoundError
from .keys import validate_key

if TYPE_CHECKING:
    import xarray as xr

    from .scan import Scan

__all__ = ["PRIMARY", "read_stream", "stream_names"]

PRIMARY = "primary"
"""The stream every scan has: its raw data (``scan.raw``, ``scan.lazy()``)."""


def stream_names(scan: Scan) -> list[str]:
    """``primary`` and then the adapter's stream names, in its order.

    Raises
    ------
    AdapterContractError
        The adapter listed a name twice, ``primary`` itself, or a name that is not a valid key.
    """
    listed = list(scan._list_streams())
    for name in listed:
        validate_key(name, kind="stream")
    if PRIMARY in listed or len(set(listed)) != len(listed):
        msg = f"{type(scan).__name__}._list_streams() of {scan._where()} must list each stream once and not {PRIMARY!r}: {listed}"  # fmt: skip
        raise AdapterContractError(msg)
    return [PRIMARY, *listed]


def read_stream(scan: Scan, name: str, *, lazy: bool) -> xr.Dataset:
    """The stream ``name`` of ``scan`` (dask-backed with ``lazy``).

    Raises
    ------
    KeyNotFoundError
        The scan has no stream ``name`` (the message names those it has).
    FilesChangedError
        The scan's files changed while the stream was read.
    """
    import xarray as xr

    from .scan import SNAPSHOT

    if name == PRIMARY:
        return scan.lazy() if lazy else scan.raw
    names = stream_names(scan)
    if name not in names:
        raise KeyNotFoundError(name, kind="stream", where=scan._where(), candidates=names)
    before = scan._fingerprint()
    data = scan._get_stream(name, lazy=lazy)
    if not isinstance(data, xr.Dataset):
        msg = f"{type(scan).__name__}._get_stream({name!r}) returned {type(data).__name__}, not xarray.Dataset"  # fmt: skip
        raise AdapterContractError(msg)
    after = scan._fingerprint()
    if before is not None and after is not None and not lazy and after != before and SNAPSHOT not in data.attrs:  # fmt: skip
        msg = f"the files of {scan._where()} changed while its stream {name!r} was read: {before.changed(after)[:5]}"  # fmt: skip
        raise FilesChangedError(msg)
    return data
