"""Reading a run's streams through tiled: whole, as tiled's client gives them, or lazily, every
array (an area detector's images) read block by block through tiled's chunked access, one frame
per request for images. Scalar columns are a table, which tiled reads whole (it is small). A
server that cannot read the run's external files is :class:`ExternalFilesError` naming the
variable and the files, never an empty or zero-filled array."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from .connect import fetch, translated
from .errors import ExternalFilesError

if TYPE_CHECKING:
    import xarray as xr

    from .adapter import BlueskyScan

__all__ = ["lazy_stream", "read_stream"]
logger = logging.getLogger(__name__)

_ARRAY_URL = re.compile(r"/array/(?:full|block)/(?:.+/)?([^/]+)\Z")
"""The path of tiled's array routes; its last part is the variable."""


def _external(scan: BlueskyScan, stream: str, part: str, exc: Exception) -> Exception | None:
    """:class:`ExternalFilesError` if ``part`` of ``stream`` is stored in external files (the
    server failed to read them), else ``None``."""
    import httpx

    if not isinstance(exc, httpx.HTTPStatusError) or exc.response.status_code < 500:
        return None
    found = _ARRAY_URL.search(exc.request.url.path)
    if found is None:
        return None
    part = found.group(1) or part

    def sources(c: Any) -> list[Any]:
        return list(c[scan.uid][stream].base[part].data_sources() or [])

    uris = [a.data_uri for s in fetch(scan.proposal.repository, sources, what=f"the data sources of {part!r}") if s.management == "external" for a in s.assets]  # fmt: skip
    if not uris:
        return None
    shown = ", ".join(uris[:3]) + (f" and {len(uris) - 3} more" if len(uris) > 3 else "")
    msg = (
        f"the tiled server {scan.proposal.repository.url} could not read the external files of "
        f"{part!r} in stream {stream!r} of {scan._where()} (run {scan.uid}): {shown} "
        f"(HTTP {exc.response.status_code}: moved, deleted or not readable by the server; its "
        "log has the cause)"
    )
    return ExternalFilesError(msg)


def _checked(scan: BlueskyScan, stream: str, part: str, exc: Exception, *, what: str) -> Exception:
    """The error to raise for ``exc``: external files, else nx5d's for tiled's, else ``exc``."""
    return (
        _external(scan, stream, part, exc)
        or translated(exc, url=scan.proposal.repository.url, what=what)
        or exc
    )


def read_stream(scan: BlueskyScan, stream: str) -> xr.Dataset:
    """The stream ``stream`` of ``scan``'s run, read whole by tiled's client."""
    what = f"stream {stream!r} of {scan._where()}"
    client = scan.proposal.repository.client
    try:
        data: xr.Dataset = client[scan.uid][stream].read()
    except Exception as exc:
        raise _checked(scan, stream, "", exc, what=what) from exc
    return data


class _Blocks:
    """What dask reads an array through: one ranged request per block. Its array client comes
    from the stream node it was made from (one request, at the first read); it pickles as the
    scan, which pickles without its client, and finds the node again after."""

    def __init__(self, *, scan: BlueskyScan, stream: str, part: str, data: Any, node: Any) -> None:
        self.scan, self.stream, self.part = scan, stream, part
        self.shape, self.dtype, self.ndim = tuple(data.shape), data.dtype, data.ndim
        self._node: Any = node
        self._array: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_node": None, "_array": None}

    def _client(self) -> Any:
        from tiled.client.array import ArrayClient

        node = self._node
        if node is None:
            node = self.scan.proposal.repository.client[self.scan.uid][self.stream]
        lazy = node.base[self.part]  # tiled's dask client of the array: numpy reads from it
        return ArrayClient(lazy.context, item=lazy.item, structure_clients=lazy.structure_clients, structure=lazy.structure())  # fmt: skip

    def __getitem__(self, index: Any) -> Any:
        what = f"{self.part!r} of stream {self.stream!r} of {self.scan._where()}"
        try:
            if self._array is None:
                self._array = self._client()
            return self._array.read(slice=index)
        except Exception as exc:
            raise _checked(self.scan, self.stream, self.part, exc, what=what) from exc


def lazy_stream(scan: BlueskyScan, stream: str) -> xr.Dataset:
    """The stream ``stream`` of ``scan``'s run as dask arrays: the layout from tiled (its dask
    client), each array read by block when computed."""
    import dask.array as da
    from tiled.client.container import DEFAULT_STRUCTURE_CLIENT_DISPATCH

    repository = scan.proposal.repository
    what = f"stream {stream!r} of {scan._where()}"
    try:
        lazy = repository.client.new_variation(structure_clients=DEFAULT_STRUCTURE_CLIENT_DISPATCH["dask"])  # fmt: skip
        node = lazy[scan.uid][stream]
        data: xr.Dataset = node.read()
    except Exception as exc:
        raise _checked(scan, stream, "", exc, what=what) from exc
    if not hasattr(node, "base"):  # not a composite (a databroker 2 server on MongoDB)
        logger.debug("%s: not a composite stream; read whole, then chunked", what)
        return read_stream(scan, stream).chunk()
    for name, variable in list(data.variables.items()):
        if not isinstance(variable.data, da.Array):
            continue
        chunks = variable.data.chunks
        if variable.ndim >= 3:  # images: a frame per request, so one frame costs one frame
            chunks = ((1,) * variable.shape[0], *chunks[1:])
        blocks = _Blocks(scan=scan, stream=stream, part=str(name), data=variable.data, node=node)
        shape = "x".join(map(str, variable.shape))
        array = da.from_array(  # type: ignore[no-untyped-call]
            blocks,
            chunks=chunks,
            meta=variable.data._meta,
            name=f"nx5d-bluesky-{repository.url}-{scan.uid}-{stream}-{name}-{shape}",
        )
        if name in data.coords:
            data = data.assign_coords({name: variable.copy(data=array)})
        else:
            data[name] = variable.copy(data=array)
    return data.chunk()
