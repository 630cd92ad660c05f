"""The tiled tree of a repository: repository -> proposals -> scans -> variables.

Listings are computed when asked (new scans appear without a restart; a proposal is listed
again at most every ``relist_seconds``); a scan's variables come from ``scan.lazy()`` and are
built only when the scan itself is opened, so a listing reads summaries (from the index) and
never bulk data. A scan that cannot be opened is listed with ``error`` in its metadata and no
variables; reading from it answers HTTP 422 with the framework's message. A missing key
answers 404 naming the closest keys.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from tiled.adapters.mapping import MapAdapter
from tiled.structures.container import ContainerStructure
from tiled.structures.core import Spec
from tiled.utils import UnsupportedQueryType

from ..errors import closest
from .arrays import VariableAdapter, jsonable
from .keys import framework_key, served_key
from .limits import check_total, refuse_export
from .queries import translate
from .served import Served

if TYPE_CHECKING:
    import xarray as xr

    from ..proposal import Proposal
    from ..repository import Repository
    from ..scan import Scan
    from ..summary import SummaryEntry

__all__ = ["Served", "build_tree", "framework_key", "served_key"]
logger = logging.getLogger(__name__)


class _Listing(Mapping[str, Any]):
    """Keys listed when first asked (once per node) and served as :func:`served_key`; children
    made on access."""

    def __init__(self, keys: Callable[[], list[str]], make: Callable[[str], Any]) -> None:
        self._keys_of = keys
        self._make = make
        self._keys: list[str] | None = None

    def keys_now(self) -> list[str]:
        if self._keys is None:
            self._keys = [served_key(k) for k in self._keys_of()]
        return self._keys

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys_now():
            raise KeyError(key)
        return self._make(framework_key(key))

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_now())

    def __len__(self) -> int:
        return len(self.keys_now())

    def __contains__(self, key: object) -> bool:
        return key in self.keys_now()


class _Node(MapAdapter[Any]):
    """A container whose keys are listed on demand; lookups of missing keys answer 404."""

    kind = "entry"

    def __init__(self, mapping: Mapping[str, Any], *, metadata: dict[str, Any] | None = None, specs: list[Spec] | None = None) -> None:  # fmt: skip
        # MapAdapter.__init__ would list the keys now; a container here lists them when asked
        self._mapping = mapping
        self._sorting = [("_", 1)]
        self._must_revalidate = True
        self.include_routers: list[Any] = []
        self.background_tasks: list[Any] = []
        self.entries_stale_after = None
        self.metadata_stale_after = None
        self._metadata = metadata or {}
        self._specs = specs or []
        self._structure = None

    def structure(self) -> ContainerStructure:
        return ContainerStructure(keys=list(self._mapping))

    def metadata(self) -> dict[str, Any]:
        return self._metadata

    def where(self) -> str:
        return "the repository"

    async def lookup_adapter(self, segments: list[str]) -> Any:
        entry: Any = self
        for segment in segments:
            keys = list(entry._mapping)
            if segment not in keys:
                hint = [framework_key(k) for k in closest(segment, keys)]
                detail = f"{entry.kind} {framework_key(segment)!r} not found in {entry.where()}" + (
                    f"; closest: {', '.join(repr(k) for k in hint)}" if hint else ""
                )
                raise HTTPException(status_code=404, detail=detail)
            entry = entry._mapping[segment]
            if isinstance(entry, ScanNode):  # asked for by path: open it to describe it whole
                entry.open_quietly()
        return entry

    def search(self, query: Any) -> Any:
        raise UnsupportedQueryType(type(query).__name__)

    def read(self, fields: Any = None) -> Any:
        """A proposal or the repository whole is never exported (413): its size is unknown
        without opening every scan."""
        raise refuse_export(self.where())

    def _sort_value(self, key: str, field: str) -> Any:
        return None  # only the framework's order ("_") is known here

    def new_variation(self, *args: Any, mapping: Any = None, sorting: Any = None, **kwargs: Any) -> Any:  # fmt: skip
        """This node over another mapping or order (what MapAdapter.read/search build)."""
        twin = copy.copy(self)
        if mapping is not None:
            twin._mapping = mapping
        if sorting is not None:
            twin._sorting = sorting
        return twin

    def sort(self, sorting: Any) -> Any:
        """Sorted by ``(field, direction)`` items; ``"_"`` is the framework's order."""
        items = [(str(f), int(d)) for f, d in sorting]
        if items in ([], [("_", 1)]):
            return self
        keys = list(self._mapping)
        for field, direction in reversed(items):
            if field == "_":
                keys = keys[::-1] if direction < 0 else keys
                continue
            values = {k: self._sort_value(framework_key(k), field) for k in keys}
            known = sorted((k for k in keys if values[k] is not None), key=lambda k: values[k])
            unknown = [k for k in keys if values[k] is None]  # no value: last either way
            keys = (known[::-1] if direction < 0 else known) + unknown
        twin = copy.copy(self)
        twin._mapping = _Listing(lambda: [framework_key(k) for k in keys], self._mapping._make)  # type: ignore[attr-defined]
        twin._sorting = items
        return twin


class RepositoryNode(_Node):
    kind = "proposal"

    def __init__(self, served: Served) -> None:
        self.served = served
        repo = served.repository
        super().__init__(
            _Listing(
                served.proposal_keys,
                lambda key: ProposalNode(served=served, proposal=served.proposal(key)),
            ),
            metadata={
                "nx5d": {
                    "adapter": repo.name,
                    "version": repo.version,
                    "url": served.clean(repo.url),
                }
            },
        )

    def where(self) -> str:
        return "the repository"


class ProposalNode(_Node):
    kind = "scan"

    def __init__(self, *, served: Served, proposal: Proposal) -> None:
        self.served = served
        self.proposal = proposal
        self._entries: dict[str, SummaryEntry] | None = None
        base = getattr(proposal, "_parent", proposal)  # a search result: the proposal's own scans
        super().__init__(
            _Listing(proposal.keys, lambda key: served.scan_node(base, key, entry=self.entry(key))),
            metadata={"key": proposal.key},
        )

    def entry(self, key: str) -> SummaryEntry | None:
        """The scan's summary (or its error), from one index-backed sweep of the proposal
        (shared by the pages of a listing for ``relist_seconds``)."""
        if self._entries is None:
            self._entries = self.served.entries(getattr(self.proposal, "_parent", self.proposal))
        return self._entries.get(key)

    def where(self) -> str:
        return f"proposal {self.proposal.key!r}"

    def search(self, query: Any) -> ProposalNode:
        """The scans matching ``query``, found now: a query the framework cannot answer is the
        client's error (400 with its message), never a listing that fails later."""
        from tiled.queries import QueryValueError

        found = self.proposal.search(translate(query))
        try:
            found.keys()
        except (ValueError, TypeError, OverflowError, LookupError) as exc:
            msg = f"{type(query).__name__} query in {self.where()}: {exc}"
            raise QueryValueError(self.served.clean(msg)) from exc
        return ProposalNode(served=self.served, proposal=found)

    def _sort_value(self, key: str, field: str) -> Any:
        entry = self.entry(key)
        return _summary_field(entry.summary if entry is not None else None, field)


def _summary_field(summary: Any, field: str) -> Any:
    if summary is None:
        return None
    if field == "time_unix":
        return summary.time.timestamp() if summary.time is not None else None
    return getattr(summary, field, None)


class ScanNode(_Node):
    """A scan: metadata from its summary; its variables from ``scan.lazy()``, opened on demand."""

    kind = "variable"

    def __init__(self, *, served: Served, scan: Scan) -> None:
        self.served = served
        self.scan = scan
        self.opened_at = time.monotonic()
        self._lazy: xr.Dataset | None = None
        self._error: str | None = None
        self.entry: SummaryEntry | None = None
        self._variables: dict[str, VariableAdapter] = {}
        super().__init__(
            _Listing(self._variable_names, self._variable), specs=[Spec("xarray_dataset")]
        )

    def where(self) -> str:
        return f"scan {self.scan.key!r} of proposal {self.scan.proposal.key!r}"

    def stale(self, seconds: float) -> bool:
        return time.monotonic() - self.opened_at > seconds

    def metadata(self) -> dict[str, Any]:
        scan = self.scan
        out: dict[str, Any] = {"key": scan.key}
        entry = self.entry
        try:
            summary = entry.summary if entry is not None and entry.summary is not None else None
            if summary is None:
                summary = scan.summary  # raises the summary's error again
            out.update(summary.model_dump(mode="json"))
            out["time_unix"] = summary.time.timestamp() if summary.time is not None else None
            out["nx5d"] = {"metadata": jsonable(scan.metadata)}
        except Exception as exc:  # noqa: BLE001 - one broken scan is reported, never fails a listing
            out["time_unix"] = None
            out["error"] = f"{type(exc).__name__}: {exc}"
        if self._error is not None:
            out["error"] = self._error
        out["attrs"] = jsonable(dict(self._lazy.attrs)) if self._lazy is not None else {}
        cleaned: dict[str, Any] = self.served.clean(out)
        return cleaned

    def inlined_contents_enabled(self, depth: int) -> bool:
        return self._lazy is not None  # never open a scan just to describe it in a listing

    def structure(self) -> ContainerStructure:
        """The variables once the scan is open (a listing's links need no keys)."""
        return ContainerStructure(keys=list(self._mapping) if self._lazy is not None else [])

    async def approx_len(self) -> int:
        """The count a listing shows: the variables once the scan is open, else 0 (a listing
        never opens scans; ``len()`` of the scan itself asks for the exact count)."""
        return len(self._mapping) if self._lazy is not None else 0

    def dataset(self) -> xr.Dataset:
        if self._lazy is None:
            try:
                self._lazy = self.scan.lazy()
            except Exception as exc:
                self._error = f"{type(exc).__name__}: {exc}"
                raise
        return self._lazy

    def total_nbytes(self) -> int:
        """The declared size of every variable together (nothing read)."""
        return sum(int(v.nbytes) for v in self.dataset().variables.values())

    def holds_most(self, name: str) -> bool:
        """Whether ``name`` is most of the scan's bytes (then reading all of it is no waste)."""
        total = self.total_nbytes()
        return total > 0 and int(self.dataset()[name].nbytes) * 2 >= total

    def read(self, fields: Any = None) -> Any:
        """The scan for an export (``node/full``, ``container/full``): refused with 413 before
        any read when the selected variables together exceed the response limit."""
        lazy = self.dataset()
        names = list(fields) if fields is not None else [str(k) for k in lazy.variables]
        missing = [n for n in names if n not in lazy.variables]
        if missing:
            raise KeyError(missing[0])
        nbytes = sum(int(lazy[n].nbytes) for n in names)
        check_total(nbytes, what=f"{self.where()} ({len(names)} variables)")
        return MapAdapter.read(self, fields)

    def read_whole(self, name: str) -> Any:
        """One variable read through the adapter's eager reader (not cached on the server)."""
        return self.scan._read_raw()[name].values

    def open_quietly(self) -> None:
        """Open the scan; a failure is kept as ``error`` in the metadata."""
        try:
            self.dataset()
        except Exception:  # noqa: BLE001 - reported in the metadata; reads answer 422
            logger.warning("%s cannot be opened: %s", self.where(), self._error)

    def _variable_names(self) -> list[str]:
        try:
            lazy = self.dataset()
        except Exception:  # noqa: BLE001 - listed as an error in the metadata, no variables
            logger.warning("%s cannot be opened: %s", self.where(), self._error)
            return []
        return [str(k) for k in (*lazy.data_vars, *lazy.coords)]

    def _variable(self, name: str) -> VariableAdapter:
        made = self._variables.get(name)
        if made is None:
            lazy = self.dataset()
            var = lazy[name]
            spec = Spec("xarray_coord") if name in lazy.coords else Spec("xarray_data_var")
            made = self._variables[name] = VariableAdapter.wrap(var, node=self, specs=[spec])
        return made


def build_tree(
    repository: Repository, *, include_paths: bool = False, relist_seconds: float = 2.0
) -> RepositoryNode:
    """The tiled tree of ``repository``."""
    served = Served(
        repository=repository, include_paths=include_paths, relist_seconds=relist_seconds
    )
    return RepositoryNode(served)
