"""The Repository / Proposal / Scan API over HTTP, from a server started with ``nx5d serve``.

``open_repository("http://host:8000", api_key=...)`` gives keys, ``[key]``, summaries,
``search`` (sent to the server as tiled queries, answered from its index), ``raw`` (one
transfer of the whole scan) and ``lazy()`` (dask arrays that fetch only the frames computed).
Needs the tiled client (``pip install 'nx5d-core[serve]'``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from .proposal import Proposal
from .repository import Repository
from .scan import Scan
from .serve.keys import framework_key, served_key
from .summary import ScanSummary

if TYPE_CHECKING:
    import xarray as xr

    from .queries import Query

__all__ = ["RemoteRepository", "open_repository", "to_tiled"]

API_KEY_ENV = "NX5D_API_KEY"


def open_repository(url: str, *, api_key: str | None = None) -> RemoteRepository:
    """Connect to a repository served by ``nx5d serve`` (``api_key`` default ``$NX5D_API_KEY``)."""
    from tiled.client import from_uri

    client = from_uri(
        url, api_key=api_key or os.environ.get(API_KEY_ENV), structure_clients="numpy"
    )
    return RemoteRepository(url, client=client)


class RemoteScan(Scan):
    """A served scan."""

    proposal: RemoteProposal

    @property
    def node(self) -> Any:
        return self.proposal.node[served_key(self.key)]

    def _metadata_of(self) -> dict[str, Any]:
        known = self.proposal._metadata.get(self.key)
        return known if known is not None else dict(self.node.metadata)

    def _get_summary(self) -> ScanSummary:
        meta = self._metadata_of()
        if "error" in meta and "type" not in meta:
            msg = f"served scan {self.key!r} of proposal {self.proposal.key!r}: {meta['error']}"
            raise RuntimeError(msg)
        fields = {k: v for k, v in meta.items() if k not in {"time_unix", "nx5d", "attrs", "error"}}
        if isinstance(fields.get("time"), str):
            fields["time"] = datetime.fromisoformat(fields["time"])
        return ScanSummary.model_validate(fields)

    def _get_metadata(self) -> dict[str, Any]:
        return dict(self._metadata_of().get("nx5d", {}).get("metadata", {}))

    def _get_raw(self) -> xr.Dataset:
        return self._lazy_dataset().compute()

    def _get_lazy(self) -> xr.Dataset:
        return self._lazy_dataset()

    def _lazy_dataset(self) -> xr.Dataset:
        import dask.array as da
        import xarray as xr

        node = self.node
        attrs = dict(node.metadata.get("attrs", {}))
        data_vars: dict[str, Any] = {}
        coords: dict[str, Any] = {}
        for name, array in node.items():
            structure = array.structure()
            dims = tuple(structure.dims or (f"dim_{i}" for i in range(len(structure.shape))))
            chunks = structure.chunks
            if len(structure.shape) >= 3:  # frames: one per request, so a frame costs one frame
                chunks = ((1,) * structure.shape[0], *chunks[1:])
            data = da.from_array(  # type: ignore[no-untyped-call]
                _Slicer(array),
                chunks=chunks,
                meta=_empty(structure),
                name=f"nx5d-remote-{self.repository.url}-{self.proposal.key}-{self.key}-{name}",
            )
            var = (dims, data, dict(array.metadata.get("attrs", {})))
            specs = {s.name for s in array.specs}
            (coords if "xarray_coord" in specs else data_vars)[name] = var
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _empty(structure: Any) -> Any:
    import numpy as np

    return np.empty((0,) * len(structure.shape), dtype=structure.data_type.to_numpy_dtype())


class _Slicer:
    """What dask reads a block through: one ranged request per block."""

    def __init__(self, array: Any) -> None:
        self.array = array
        structure = array.structure()
        self.shape = tuple(structure.shape)
        self.dtype = structure.data_type.to_numpy_dtype()
        self.ndim = len(self.shape)

    def __getitem__(self, index: Any) -> Any:
        return self.array[index]


def to_tiled(query: Any) -> list[Any]:
    """The tiled queries (all must hold) for an nx5d query; :class:`TypeError` if it has none."""
    from tiled import queries as tq

    from . import queries as q
    from .serve.queries import TimeRange

    if isinstance(query, q.And):
        return [part for sub in query.parts for part in to_tiled(sub)]
    if isinstance(query, q.Comparison):
        if query.op == "eq":
            return [tq.Eq(query.key, query.value)]
        if query.op == "ne":
            return [tq.NotEq(query.key, query.value)]
        return [tq.Comparison(query.op, query.key, query.value)]
    if isinstance(query, q.In):
        return [tq.In(query.key, list(query.values))]
    if isinstance(query, q.Contains):
        return [tq.Contains(query.key, query.value)]
    if isinstance(query, q.Regex):
        return [tq.Regex(query.key, query.pattern, case_sensitive=query.case_sensitive)]
    if isinstance(query, q.FullText):
        return [tq.FullText(query.text)]
    if isinstance(query, q.TimeRange):
        since = None if query.since is None else query.since.isoformat()
        until = None if query.until is None else query.until.isoformat()
        return [TimeRange(since=since, until=until)]
    if isinstance(query, q.ScanKey):
        return [tq.KeysFilter([served_key(k) for k in query.keys])]
    msg = f"{type(query).__name__} has no tiled query"
    raise TypeError(msg)


class RemoteProposal(Proposal):
    """A served proposal; one listing request per page brings every scan's summary."""

    repository: RemoteRepository
    scan_class = RemoteScan

    def __init__(self, *, repository: Repository, key: str, node: Any) -> None:
        super().__init__(repository=repository, key=key)
        self.node = node
        self._metadata: dict[str, dict[str, Any]] = {}

    def _list_scans(self) -> Iterable[str]:
        self._metadata = {framework_key(k): dict(child.metadata) for k, child in self.node.items()}
        return list(self._metadata)

    def scan_order(self, key: str) -> Any:
        order = list(self._metadata)
        return order.index(key) if key in self._metadata else len(order)

    def _scan(self, key: str) -> Scan:
        return RemoteScan(proposal=self, key=key)

    def search(self, query: Query | Any) -> Proposal:
        """Sent to the server where it translates (tiled queries); else filtered here."""
        try:
            parts = to_tiled(query)
        except TypeError:
            return super().search(query)
        node = self.node
        for part in parts:
            node = node.search(part)
        return RemoteProposal(repository=self.repository, key=self.key, node=node)


class RemoteRepository(Repository):
    """A served repository; proposals and scans keep the server's order."""

    name = "remote"
    description = "A repository served over HTTP by nx5d serve (tiled)"
    url_patterns: ClassVar[tuple[str, ...]] = ()
    version = "1"
    proposal_class = RemoteProposal

    def __init__(self, url: str, *, client: Any) -> None:
        super().__init__(url)
        self.client = client
        self._positions: dict[str, int] = {}

    def close(self) -> None:
        """Close the connection."""
        self.client.context.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _list_proposals(self) -> Iterable[str]:
        keys = [framework_key(k) for k in self.client]
        self._positions = {k: n for n, k in enumerate(keys)}
        return keys

    def proposal_order(self, key: str) -> Any:
        return self._positions.get(key, len(self._positions))

    def _proposal(self, key: str) -> Proposal:
        return RemoteProposal(repository=self, key=key, node=self.client[served_key(key)])
