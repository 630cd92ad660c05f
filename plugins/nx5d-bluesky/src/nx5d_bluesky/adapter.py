"""Bluesky runs in a tiled server as a repository: proposals are the values of a start-document
field (``data_session``, else ``proposal_id``; runs with neither are in ``unassigned``; see
:mod:`.catalog`), scans are runs keyed by ``scan_id`` in time order. New runs are listed without
``refresh()``: the server's count of runs is asked again at most every ``recheck`` seconds. Summaries come from the start and stop documents
(no event read), ``raw`` is the primary stream as tiled gives it, ``scan.streams`` the run's
streams. Search runs on the server where tiled answers the query. A run without a stop document
is still being written: listed, its summary says ``running``, read as far as written, and read
again at each access.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import SecretStr

from nx5d_core import Proposal, Repository, Scan
from nx5d_core.errors import KeyNotFoundError
from nx5d_core.fingerprint import Fingerprint
from nx5d_core.keys import valid_keys
from nx5d_core.scan import SNAPSHOT

from . import about
from .catalog import UNASSIGNED, Recount, narrowed, proposal_chains, proposal_of, runs_node
from .connect import connect, fetch
from .errors import NoEventsError, NotARunError
from .runs import BlueskySummary, number, run_keys, start_of, summary_of

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["UNASSIGNED", "BlueskyProposal", "BlueskyRepository", "BlueskyScan"]
logger = logging.getLogger(__name__)

PRIMARY = "primary"
_UID = re.compile(r"[0-9a-fA-F-]{8,}\Z")


def _close(client: Any) -> None:
    with contextlib.suppress(Exception):  # at exit or collection: nothing to report to
        client.context.close()


class BlueskyScan(Scan):
    """One run; its key is the ``scan_id`` (``N.2`` for a repeated one)."""

    proposal: BlueskyProposal
    summary_model = BlueskySummary

    @property
    def uid(self) -> str:
        """The run's uid."""
        return self.proposal.uid_of(self.key)

    def _provenance(self) -> dict[str, str]:
        return {"nx5d_run_uid": self.uid}

    def _run_metadata(self) -> Mapping[str, Any]:
        """The run's metadata: from the listing once the run has stopped, else fetched now."""
        listed = self.proposal.listed_metadata(self.key)
        if isinstance(listed.get("stop"), Mapping):
            return listed
        return fetch(
            self.proposal.repository, lambda c: dict(c[self.uid].metadata), what=self._where()
        )

    def _fingerprint(self) -> Fingerprint:
        """A stopped run never changes; a running one is new at every look (read again)."""
        stop = self._run_metadata().get("stop")
        if isinstance(stop, Mapping):
            events = sum(int(v) for v in stop.get("num_events", {}).values())
            identity = (1, events, int((number(stop.get("time")) or 0.0) * 1e9), 0)
        else:
            identity = (0, 0, time.monotonic_ns(), 0)
        return Fingerprint(((f"{self.proposal.repository.url}#{self.uid}", identity),))

    def _summary_fingerprint(self) -> Fingerprint | None:
        """None: a run's summary stays out of nx5d's summary index, which would only copy the
        server's catalog (and be one more thing that can go stale)."""
        return None

    def _get_summary(self) -> BlueskySummary:
        return summary_of(self.key, self._run_metadata(), where=self._where())

    def _fetched(self, name: str, *, lazy: bool = False) -> xr.Dataset:
        """The stream ``name`` as tiled's client reads it (``lazy``: arrays by block)."""
        from .streams import lazy_stream, read_stream

        return lazy_stream(self, name) if lazy else read_stream(self, name)

    def _stream(self, name: str, *, lazy: bool = False) -> xr.Dataset:
        meta = self._run_metadata()
        running = not isinstance(meta.get("stop"), Mapping)
        data = self._fetched(name, lazy=lazy)
        if not data.data_vars:
            state = "still being written (no stop document)" if running else "finished"
            msg = f"stream {name!r} of {self._where()} (run {self.uid}) has no event yet; the run is {state}"  # fmt: skip
            raise NoEventsError(msg)
        data.attrs.update({"uid": self.uid, "stream": name})
        if running:
            data.attrs[SNAPSHOT] = "a run still being written: as far as written"
        return data

    def _get_raw(self) -> xr.Dataset:
        return self._stream(PRIMARY)

    def _get_lazy(self) -> xr.Dataset:
        return self._stream(PRIMARY, lazy=True)

    def _list_streams(self) -> list[str]:
        names = fetch(self.proposal.repository, lambda c: list(c[self.uid]), what=self._where())
        return [str(n) for n in names if n != PRIMARY]

    def _get_stream(self, name: str, *, lazy: bool) -> xr.Dataset:
        return self._stream(name, lazy=lazy)


class BlueskyProposal(Proposal):
    """The runs of one proposal value; ``proposal[uid]`` and a uid prefix (>= 8 characters)
    find a run too."""

    repository: BlueskyRepository
    scan_class = BlueskyScan

    def __init__(self, *, repository: Repository, key: str) -> None:
        super().__init__(repository=repository, key=key)
        self._runs: tuple[dict[str, str], dict[str, dict[str, Any]]] | None = None
        self._positions: dict[str, int] | None = None
        self._recount: Recount | None = None

    _caches: ClassVar[dict[str, Any]] = {"_runs": lambda: None, "_positions": lambda: None, "_recount": lambda: None}  # fmt: skip

    def _listed(self) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        if self._runs is None:
            repository = self.repository
            found = repository.runs_of(self.key)
            self._recount = Recount(lambda: repository.count_runs(self.key), seen=len(found))
            starts = [(uid, start_of(meta, where=f"run {uid} of {self._where()}")) for uid, meta in found.items()]  # fmt: skip
            self._runs = (run_keys(starts), found)
        return self._runs

    def _listing_moved(self) -> bool:
        recount = self._recount
        return recount is not None and recount.moved(every=self.repository.recheck)

    def relist(self) -> None:
        super().relist()
        self._runs = self._positions = self._recount = None

    def _list_scans(self) -> list[str]:
        return list(self._listed()[0])

    def scan_order(self, key: str) -> Any:
        """Time order of the runs' start documents."""
        keys = self._listed()[0]  # in time order: its position is the order
        if self._positions is None or len(self._positions) != len(keys):
            self._positions = {k: n for n, k in enumerate(keys)}
        return (self._positions.get(key, len(keys)), key)

    def uids(self) -> list[str]:
        """The uids of the runs, in the order of the keys."""
        return list(self._listed()[0].values())

    def uid_of(self, key: str) -> str:
        """The uid of the run ``key``."""
        return self._listed()[0][key]

    def listed_metadata(self, key: str) -> Mapping[str, Any]:
        """The metadata the listing saw for run ``key``."""
        keys, found = self._listed()
        return found[keys[key]]

    def key_of(self, uid: str) -> str:
        """The scan key of the run whose uid is (or starts with, >= 8 characters) ``uid``.

        Raises
        ------
        KeyNotFoundError
            No run of this proposal has that uid (or the prefix is ambiguous or too short).
        """
        keys = self._listed()[0]
        hits = [k for k, u in keys.items() if u == uid or (len(uid) >= 8 and u.startswith(uid))]
        if len(hits) != 1:
            raise KeyNotFoundError(uid, kind="scan", where=self._where(), candidates=list(keys))
        return hits[0]

    def search(self, query: Any) -> Proposal:
        """The runs matching ``query``: found by the tiled server where it answers the query
        exactly (plan name, scan id, uid, start time), else from the summaries."""
        from .search import BlueskyView, to_tiled

        try:
            tiled = to_tiled(query)
        except TypeError:
            return super().search(query)
        return BlueskyView(parent=self, query=query, tiled=tiled)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and _UID.match(key) and key not in self:
            key = self.key_of(key)
        return super().__getitem__(key)


class BlueskyRepository(Repository, about=about):
    """A tiled container of Bluesky runs.

    Parameters
    ----------
    url
        The tiled server and container, ``http://host:port[/path]``.
    api_key
        The tiled API key (default: ``TILED_API_KEY``); never shown nor recorded.
    proposal_field
        The start-document field whose values are the proposals (Bluesky's ``data_session``).
    fallback_field
        The field used for runs without ``proposal_field``; runs with neither are in
        ``unassigned``.
    recheck
        Seconds between two questions to the server whether runs were added (new runs are
        listed without ``refresh()``; within ``recheck`` seconds of the last question the
        listing stands).
    """

    proposal_class = BlueskyProposal

    def __init__(
        self,
        url: str,
        *,
        api_key: SecretStr | None = None,
        proposal_field: str = "data_session",
        fallback_field: str = "proposal_id",
        recheck: float = 1.0,
    ) -> None:
        super().__init__(url)
        self.api_key = api_key
        self.proposal_field = proposal_field
        self.fallback_field = fallback_field
        self.recheck = recheck
        self._client: Any = None
        self._values: dict[str, list[list[Any]]] | None = None
        self._recount: Recount | None = None
        self._fts5: bool | None = None

    _caches: ClassVar[dict[str, Any]] = {"_client": lambda: None, "_values": lambda: None, "_recount": lambda: None, "_fts5": lambda: None}  # fmt: skip

    @property
    def client(self) -> Any:
        """The tiled client of the container (connected on first use)."""
        if self._client is None:
            key = self.api_key.get_secret_value() if isinstance(self.api_key, SecretStr) else self.api_key  # fmt: skip
            self._client = connect(self.url, api_key=key)
            weakref.finalize(self, _close, self._client)  # its HTTP connections go with it
        return self._client

    def _runs(self, client: Any) -> Any:
        return runs_node(client, where=self._where())

    def _proposal_chains(self) -> dict[str, list[list[Any]]]:
        """Proposal key -> the chains of tiled queries whose runs it holds."""
        if self._values is None:
            self._values, total = fetch(
                self,
                lambda c: proposal_chains(
                    self._runs(c), main=self.proposal_field, fallback=self.fallback_field
                ),
                what=f"the proposals of {self._where()}",
            )
            self._recount = Recount(lambda: self.count_runs(None), seen=total)
        return self._values

    def _list_proposals(self) -> list[str]:
        chains = self._proposal_chains()
        if not chains:  # no run: an empty catalog, or a node that holds no runs at all
            held = fetch(self, len, what=f"the nodes of {self._where()}")
            if held:
                msg = f"{self._where()} holds {held} nodes and none is a Bluesky run (a start document with a uid): is the URL the catalog of runs?"  # fmt: skip
                raise NotARunError(msg)
        return valid_keys(chains, kind="proposal", where=self._where())

    def count_runs(self, proposal: str | None) -> int:
        """The number of runs of ``proposal`` (``None``: of the container); a request per
        chain of the proposal."""
        chains: list[list[Any]] = [[]] if proposal is None else self._proposal_chains().get(proposal, [])  # fmt: skip

        def count(c: Any) -> int:
            return sum(len(narrowed(self._runs(c), chain)) for chain in chains)

        return fetch(self, count, what=f"the number of runs of {self._where()}")

    def _listing_moved(self) -> bool:
        recount = self._recount
        return recount is not None and recount.moved(every=self.recheck)

    def relist(self) -> None:
        super().relist()
        self._values = self._recount = None

    def runs_of(self, proposal: str) -> dict[str, dict[str, Any]]:
        """uid -> metadata of the runs of ``proposal`` (one search per chain it comes from)."""
        return self.search_runs(proposal, extra=[])

    def search_runs(self, proposal: str | None, *, extra: list[Any]) -> dict[str, dict[str, Any]]:
        """uid -> metadata of the runs of ``proposal`` (``None``: of every proposal) that the
        tiled queries ``extra`` find."""
        chains: list[list[Any]] = [[]] if proposal is None else self._proposal_chains().get(proposal, [])  # fmt: skip
        found: dict[str, dict[str, Any]] = {}

        def search(c: Any) -> None:
            for chain in chains:
                for uid, node in narrowed(self._runs(c), [*extra, *chain]).items():
                    found[str(uid)] = dict(node.metadata)

        where = "every proposal" if proposal is None else f"proposal {proposal!r}"
        fetch(self, search, what=f"the runs of {where} in {self._where()}")
        return found

    def full_text_on_server(self) -> bool:
        """Whether the server's full text is SQLite's FTS5 with prefix words: a prefix of a
        word every run's metadata holds (``start``) must find every run. A PostgreSQL catalog
        takes the same text without error and finds none (``to_tsquery`` drops the ``*``),
        so syntax alone would not tell. Two requests, without tiled's retries."""
        if self._fts5 is None:
            from .search import fts5

            def probe(c: Any) -> bool:
                runs = len(self._runs(c))
                params = {"filter[fulltext][condition][text]": fts5("sta"), "page[limit]": "0"}
                answer = c.context.http_client.get(c.item["links"]["search"], params=params)
                if answer.status_code in {401, 403}:
                    answer.raise_for_status()
                if answer.status_code != 200 or not runs:
                    return False
                found = answer.json().get("meta", {}).get("count")
                return isinstance(found, int) and found >= runs

            self._fts5 = fetch(self, probe, what=f"whether {self._where()} answers full-text queries")  # fmt: skip
            logger.debug("%s: full text on the server: %s", self._where(), self._fts5)
        return self._fts5

    def proposal_of(self, start: Mapping[str, Any]) -> str:
        """The proposal key of the run with start document ``start``."""
        return proposal_of(start, main=self.proposal_field, fallback=self.fallback_field)

    def search(self, query: Any) -> Any:
        """The runs of every proposal matching ``query``: found by the tiled server where it
        answers the query (see :meth:`BlueskyProposal.search`), else from the summaries."""
        from .search import repository_search

        found = repository_search(self, query)
        return super().search(query) if found is None else found

    def _where(self) -> str:
        return f"tiled server {self.url}"
