"""The Repository base class: a facility's data store, a collection of proposals."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from .caching import _Drop
from .collection import KeyedCollection
from .errors import AdapterContractError
from .keys import natural_key

if TYPE_CHECKING:
    from types import ModuleType

    import pandas as pd

    from .index import SummaryIndex
    from .options import AdapterOptions
    from .paths import RootGuard
    from .proposal import Proposal
    from .queries import Query
    from .scan import Scan
    from .search import ScanSelection
    from .spice.backend import SpiceBackend, SpiceSpec
    from .summary import ScanSummary
    from .urls import KeyPattern

__all__ = ["AdapterType", "FileRepository", "Repository"]


class AdapterType(type):
    """The type of adapter classes: every construction checks the options against the
    adapter's options model and keeps their values (:mod:`nx5d_core.options`)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        from .options import bind_options, core_arguments

        call, values = bind_options(cls, kwargs)  # type: ignore[arg-type]
        core = core_arguments(cls, call)  # type: ignore[arg-type]
        repository = cls.__new__(cls)  # type: ignore[call-overload]
        repository.__dict__["_core_arguments"] = core
        repository.__init__(*args, **call)
        repository.__dict__["_option_values"] = values
        return repository


class Repository(KeyedCollection["Proposal"], metaclass=AdapterType):
    """A facility's repository: ``repo.keys()``, ``repo["20210205"]``, ``repo[-1]``.

    Adapters subclass it, declare the class variables and override :meth:`_list_proposals`
    and :meth:`_proposal`. The constructor does no I/O.

    Parameters
    ----------
    url
        Where the data lives (a URL pattern with ``{proposal}``/``{scan}`` fields or a root).
    spice
        The spice store: a :class:`~nx5d_core.spice.SpiceStore`, a path or ``sqlite:///...`` URL,
        or ``None`` for an empty in-memory store.
    allow_outside
        Folders outside the repository root that may be read all the same (detector files that
        live elsewhere, reached through symlinks or HDF5 external links). Nothing else outside
        the root is read.
    """

    def __init_subclass__(cls, *, about: ModuleType | None = None, **kwargs: Any) -> None:
        """``class R(FileRepository, about=about)`` takes ``name``, ``description``,
        ``url_patterns``, ``version`` (and ``layout`` where it has one) from the adapter's
        ``about`` module, which ``nx5d adapters`` reads without importing the adapter."""
        super().__init_subclass__(**kwargs)
        if about is None:
            return
        cls.name, cls.description, cls.version = about.NAME, about.DESCRIPTION, about.VERSION
        cls.url_patterns = tuple(getattr(about, "URL_PATTERNS", ()))
        if hasattr(about, "LAYOUT"):
            cls.layout = about.LAYOUT  # type: ignore[attr-defined]

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    url_patterns: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[str] = "0"
    proposal_class: ClassVar[type[Proposal] | None] = None
    """The adapter's Proposal subclass (instead of overriding :meth:`_proposal`)."""
    pattern: KeyPattern | None = None
    """The parsed URL pattern of adapters that read files; its root is the security boundary."""
    aliases: ClassVar[dict[str, list[str]]] = {}
    """Field aliases for :meth:`Scan.find` (a named config's ``aliases:`` adds to them)."""
    index_spec: bool | str | os.PathLike[str] | None = None
    """The summary index (:mod:`nx5d_core.index`): ``None``/``True`` the default file
    (``$NX5D_INDEX`` or the user cache), a path, or ``False`` for none. See :meth:`use_index`."""
    only_proposal: str | None = None
    """The one proposal of a repository opened from a file or folder pointed at (no pattern)."""

    _kind = "proposal"
    _handle_prefix = "p"

    def __init__(
        self,
        url: str,
        *,
        spice: SpiceSpec = None,
        allow_outside: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        super().__init__()
        core = self.__dict__.pop("_core_arguments", {})  # given to a constructor without them
        spice = core.get("spice", spice)
        allow_outside = core.get("allow_outside", allow_outside)
        self.url = url
        self._spice_spec = spice
        self._spice_store: SpiceBackend | None = None
        if isinstance(allow_outside, str | os.PathLike):
            allow_outside = [allow_outside]
        self.allow_outside: tuple[str, ...] = tuple(os.fspath(p) for p in allow_outside)
        self._guard: RootGuard | None = None
        self._index_repo: tuple[SummaryIndex, int] | None = None
        self._options: AdapterOptions | None = None

    # -- adapter hooks -----------------------------------------------------------------
    def _list_proposals(self) -> Iterable[str]:
        """Return the proposal keys. Must raise (never return nothing) when the source is unreadable.

        Default: the keys :attr:`pattern` finds in the path, inside the root.
        """
        if self.pattern is None:
            raise NotImplementedError
        return self.pattern.list_proposals(guard=self.guard)

    def _proposal(self, key: str) -> Proposal:
        """Return the Proposal for ``key`` (no I/O needed). Default: ``proposal_class``."""
        if self.proposal_class is None:
            raise NotImplementedError
        return self.proposal_class(repository=self, key=key)

    def proposal_order(self, key: str) -> Any:
        """Sort key for proposals: natural order by default (``r2`` before ``r10``)."""
        return natural_key(key)

    @classmethod
    def guess_can_open(cls, url: str) -> bool:
        """Whether this adapter thinks it can open ``url``; default: one of ``url_patterns``
        matches, or ``url`` is a root folder laid out as :attr:`FileRepository.layout` says."""
        from .folder_guess import guess_declared

        return guess_declared(url, url_patterns=cls.url_patterns, layout=getattr(cls, "layout", ""))

    # -- framework -----------------------------------------------------------------------
    def _list_keys(self) -> Iterable[str]:
        return self._list_proposals()

    def _make_child(self, key: str) -> Proposal:
        from .proposal import Proposal

        child = self._proposal(key)
        if not isinstance(child, Proposal):
            msg = f"{type(self).__name__}._proposal({key!r}) returned {type(child).__name__}, not a Proposal"
            raise AdapterContractError(msg)
        return child

    def _order(self, key: str) -> Any:
        return self.proposal_order(key)

    def follow(
        self, *, timeout: float | None = None, poll: float = 0.25
    ) -> Iterator[tuple[str, str]]:
        """Yield ``(proposal, scan)`` keys as scans appear (in new proposals too), until
        ``timeout`` seconds (``None``: for ever); see :mod:`nx5d_core.follow`."""
        from .follow import follow_repository

        return follow_repository(self, timeout=timeout, poll=poll)

    def _listing_pattern(self) -> tuple[Any, str | None] | None:
        return None if self.pattern is None else (self.pattern, None)

    def _where(self) -> str:
        return f"{self.name or type(self).__name__} repository {self.url!r}"

    @property
    def options(self) -> AdapterOptions:
        """The adapter's options, checked at construction, as one frozen model
        (``repo.options.reduce``; defaults included); see :mod:`nx5d_core.options`."""
        if self._options is None:
            from .options import options_model

            values = self.__dict__.get("_option_values", {})
            self._options = options_model(type(self)).model_construct(**values)
        return self._options

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("_option_values", ()):
            msg = (
                f"{self._where()}: option {name!r} is read-only once the repository is open; "
                "open it again with the option you want"
            )
            raise AttributeError(msg)
        super().__setattr__(name, value)

    def _boundary(self) -> str:
        """The folder nothing outside of which is read: the pattern's root by default."""
        assert self.pattern is not None
        return self.pattern.boundary

    @property
    def guard(self) -> RootGuard:
        """The resolver every read goes through: keeps paths inside the root (see :mod:`nx5d_core.paths`)."""
        if self._guard is None:
            from .paths import RootGuard

            if self.pattern is None:
                msg = f"{self._where()}: the adapter reads no files (no URL pattern), so it has no root"
                raise AdapterContractError(msg)
            if self.pattern.is_local:
                self._guard = RootGuard.create(self._boundary(), allow_outside=self.allow_outside)
            else:  # an object store or web server: no local path is inside it
                self._guard = RootGuard.remote(allow_outside=self.allow_outside)
        return self._guard

    def use_index(self, index: bool | str | os.PathLike[str] | None) -> None:
        """Use the summary index file ``index`` (``None``/``True``: the default one; ``False``:
        none, every summary read each time)."""
        self.index_spec = index
        self.refresh()

    @property
    def index(self) -> SummaryIndex | None:
        """The summary index this repository uses, or ``None``."""
        from .index import index_of

        return index_of(self)

    def reindex(self) -> int:
        """Forget this repository's stored summaries and compute them all again (``nx5d index``);
        returns the number of scans indexed.

        Raises
        ------
        IndexUnavailableError
            There is no usable index (turned off, unwritable, locked).
        """
        from .index import IndexUnavailableError, index_of
        from .index.sync import forget_repository

        index = index_of(self)
        if index is None:
            msg = f"{self._where()} has no summary index (turned off or nothing on disk)"
            raise IndexUnavailableError(msg)
        forget_repository(self, index)
        self.refresh()
        total = 0
        for proposal in self.values():
            proposal.synced()
            counts = proposal.index_state.counts
            total += 0 if counts is None else len(counts.recomputed)
        return total

    @property
    def spice_store(self) -> SpiceBackend:
        """The spice store of this repository (opened on first use)."""
        if self._spice_store is None:
            from .spice.store import open_store

            self._spice_store = open_store(self._spice_spec)
        return self._spice_store

    def search(self, query: Query | Callable[[ScanSummary], bool]) -> ScanSelection:
        """The scans of every proposal matching ``query``, oldest first (``[-1]``: newest)."""
        from .search import ScanSelection

        return ScanSelection.of(self, query, label=repr(query))

    def newest(self) -> Scan:
        """The most recent scan of the whole repository (by summary time).

        Raises
        ------
        KeyNotFoundError
            No scan has a time.
        """
        from .errors import KeyNotFoundError
        from .queries import TimeRange

        found = self.search(TimeRange())
        if not len(found):
            what = "newest"
            raise KeyNotFoundError(what, kind="timed scan", where=self._where(), candidates=[])
        return found[-1]

    def table(self) -> pd.DataFrame:
        """One row per proposal: key and handle (no scan is listed)."""
        import pandas as pd

        handles = {k: h for h, k in self.handles().items()}
        return pd.DataFrame({"key": self.keys(), "handle": [handles[k] for k in self.keys()]})

    def _repr_html_(self) -> str:
        from .html import repository_html

        return repository_html(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r}>"

    _caches: ClassVar[dict[str, Callable[[], Any] | _Drop]] = {
        "_spice_store": lambda: None,
        "_guard": lambda: None,
        "_index_repo": lambda: None,
        "_options": lambda: (
            None
        ),  # rebuilt from _option_values (a model made per class does not pickle)
    }


class FileRepository(Repository):
    """A repository of files: the base of adapters whose constructor parses a URL pattern into
    :attr:`pattern`, which is then never ``None`` (its root is the security boundary).

    An adapter that declares :attr:`layout` needs no constructor of its own: a full URL
    pattern is taken as it is, a root folder gets the layout appended.
    """

    layout: ClassVar[str] = ""
    """The file that makes a scan, below the root: ``"/{proposal}/{scan}/counters.csv"``."""
    pattern: KeyPattern

    def __init__(
        self,
        url: str,
        *,
        spice: SpiceSpec = None,
        allow_outside: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        super().__init__(url, spice=spice, allow_outside=allow_outside)
        pattern = self._pattern_of(url)
        if pattern is not None:
            self.pattern = pattern

    def _pattern_of(self, url: str) -> KeyPattern | None:
        """The pattern ``url`` is laid out by: a full pattern as given, a root folder with the
        declared :attr:`layout` appended; ``None`` (no layout) leaves it to the constructor."""
        if not self.layout:
            return None
        from .urls import KeyPattern

        return KeyPattern.parse(url if "{scan}" in url else url.rstrip("/") + self.layout)
