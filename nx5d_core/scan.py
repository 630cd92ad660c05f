"""The Scan base class: summary, raw data, lazy data and the cooked result."""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .caching import Caches, _Drop, raw_cache
from .errors import AdapterContractError, FilesChangedError
from .summary import ScanSummary
from .summary_record import SummaryRecord, read_summary, restore

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from .fingerprint import Fingerprint
    from .options import AdapterOptions
    from .proposal import Proposal
    from .repository import Repository
    from .spice.view import SpiceView

__all__ = ["Scan"]
logger = logging.getLogger(__name__)

_COOK_CACHE_SIZE = 4


SNAPSHOT = "nx5d_snapshot"
"""Attribute an adapter sets on ``raw`` read as a consistent snapshot of files a writer is still
growing (what it had flushed): the read stands though the files changed meanwhile."""


class Scan(Caches):
    """One scan. Adapters override :meth:`_get_summary`, :meth:`_get_raw`, and optionally
    :meth:`_get_lazy` and :meth:`_cook`. The constructor does no I/O.
    """

    def __init__(self, *, proposal: Proposal, key: str) -> None:
        self.proposal = proposal
        self.key = key
        self.summary_record = SummaryRecord()
        """The scan's summary state (:mod:`nx5d_core.summary_record`)."""
        self._raw: xr.Dataset | None = None
        self._cooked: OrderedDict[str, xr.Dataset] = OrderedDict()
        self._seen: Fingerprint | None = None
        self._observed: Fingerprint | None = None
        self._metadata: dict[str, Any] | None = None

    # -- adapter hooks -----------------------------------------------------------------
    def _get_summary(self) -> ScanSummary:
        """Return the summary. Cheap: must not read bulk data."""
        raise NotImplementedError

    def _get_raw(self) -> xr.Dataset:
        """Return the raw data, loaded into memory."""
        raise NotImplementedError

    def _get_metadata(self) -> Mapping[str, Any]:
        """Return the scan's small metadata (header values, settings) by name. Cheap: no bulk data."""
        return {}

    def _get_lazy(self) -> xr.Dataset | None:
        """Return a dask-backed Dataset, or ``None`` to let the framework build one from ``_get_raw``."""
        return None

    def _get_layout(self) -> xr.Dataset | None:
        """``raw`` without its bulk data (bulk variables as :func:`nx5d_core.lazy.placeholder`),
        or ``None``: the framework's ``lazy()`` then reads nothing until a variable is computed."""
        return None

    def _list_streams(self) -> list[str]:
        """Names of the scan's streams besides ``primary`` (its raw data), in order (default:
        none; a Bluesky run has ``baseline``, ``monitors``...). See :mod:`nx5d_core.streams`."""
        return []

    def _get_stream(self, name: str, *, lazy: bool) -> xr.Dataset:
        """Return the stream ``name`` (one of :meth:`_list_streams`), dask-backed with ``lazy``."""
        raise NotImplementedError

    def _provenance(self) -> dict[str, str]:
        """Attributes (``nx5d_...``) a cooked result carries besides the framework's, naming the
        scan's source where key and repository do not (a Bluesky run's uid); default none."""
        return {}

    layout_needs_data: ClassVar[bool] = False
    """The layout is known only by reading the (small) scan: the suite allows ``lazy()`` to."""

    summary_model: ClassVar[type[ScanSummary]] = ScanSummary
    """The class ``_get_summary`` returns; the summary index stores and restores it."""

    def _summary_fingerprint(self) -> Fingerprint | None:
        """The fingerprint of the files the summary is made from (default :meth:`_fingerprint`;
        it runs for every scan at each listing), or ``None`` to keep it out of the index."""
        return self._fingerprint()

    _observes_reads: ClassVar[bool] = False
    """Whether ``_get_raw`` records what it read in ``self._observed`` (see :meth:`_read_raw`)."""

    def _fingerprint(self) -> Fingerprint | None:
        """The fingerprint of the scan's files (stat calls only; :mod:`nx5d_core.fingerprint`), or
        ``None``: cached results are read again when it changes, a change during a read raises."""
        return None

    default_recipe: ClassVar[str | None] = None
    """The recipe :attr:`cooked` runs when the adapter does not override :meth:`_cook`."""

    recipe_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    """Recipe name -> the adapter's defaults for its parameters (below the spice record)."""

    def _cook(self, raw: xr.Dataset, spice: SpiceView) -> xr.Dataset:
        """Process ``raw`` with the parameters in ``spice`` (default: :attr:`default_recipe`)."""
        if self.default_recipe is not None:
            return self._run_recipe(self.default_recipe, raw=raw, view=spice)
        msg = (
            f"adapter {self.repository.name!r} defines no cook step (Scan._cook) and no default "
            f"recipe for scan {self.key!r}; cook with an installed recipe: scan.cook(recipe=...)"
        )
        raise NotImplementedError(msg)

    def _run_recipe(self, name: str, *, raw: xr.Dataset, view: SpiceView) -> xr.Dataset:
        """Run the installed recipe ``name`` with this adapter's defaults for it."""
        from .recipes import run_recipe

        return run_recipe(name, raw=raw, view=view, defaults=self.recipe_defaults.get(name))

    # -- framework -----------------------------------------------------------------------
    @property
    def options(self) -> AdapterOptions:
        """The repository's adapter options, one frozen model (``scan.options.reduce``)."""
        return self.repository.options

    @property
    def repository(self) -> Repository:
        """The repository this scan belongs to."""
        return self.proposal.repository

    def _where(self) -> str:
        return f"scan {self.key!r} in {self.proposal._where()}"

    @property
    def summary(self) -> ScanSummary:
        """The scan's summary, cached while the files it is read from are unchanged (checked by
        their cheap fingerprint at each access, so a held scan sees its growth). Errors from the
        adapter are raised as they are."""
        record = self.summary_record
        if record.held:
            current = self._summary_fingerprint()
            if record.seen is not None and current != record.seen:
                logger.info("%s: its files changed: the summary is read again", self._where())
                record.forget()
            record.seen = current
        if record.summary is None and record.text is not None:  # stored by the summary index
            record.summary, record.text = restore(self.summary_model, record.text, key=self.key), None  # fmt: skip
        if record.summary is None:
            return read_summary(self)
        return record.summary

    @property
    def metadata(self) -> dict[str, Any]:
        """The scan's small metadata by name (file headers, instrument and sample settings,
        ``start_time``, ``title``, ``scan_command`` ...), cached until its files change."""
        if self._metadata is not None:
            self._validated()
        if self._metadata is None:
            self._metadata = dict(self._get_metadata())
        return self._metadata

    def _validated(self) -> Fingerprint | None:
        """The current fingerprint; caches made from other files are dropped first."""
        current = self._fingerprint()
        if current is not None and self._seen is not None and current != self._seen:
            changed = self._seen.changed(current)
            logger.info(
                "%s: %d file(s) changed since they were read (%s); reading again",
                self._where(),
                len(changed),
                ", ".join(changed[:3]),
            )
            self.refresh()
        self._seen = current
        return current

    def _read_raw(self) -> xr.Dataset:
        """``_get_raw()`` with the guarantee that no file changed while it ran.

        Adapters that set :attr:`_observes_reads` record the identity of every file as they read
        it in ``self._observed``; one fingerprint after the read must equal it. Otherwise the
        fingerprint is taken before and after.
        """
        import xarray as xr

        before = None if self._observes_reads else self._fingerprint()
        self._observed = None
        raw = self._get_raw()
        if not isinstance(raw, xr.Dataset):
            msg = f"{type(self).__name__}._get_raw() returned {type(raw).__name__}, not xarray.Dataset"
            raise AdapterContractError(msg)
        reference = self._observed if self._observes_reads else before
        if reference is not None:
            after = self._fingerprint()
            if after != reference and SNAPSHOT in raw.attrs:
                # a consistent snapshot of a file its writer is still growing (HDF5 SWMR): kept
                # under the identity from before the read, so the next access reads the growth
                self._seen = reference
                return raw
            if after != reference:
                self.refresh()
                changed = reference.changed(after) if after is not None else []
                msg = (
                    f"{self._where()}: files changed while raw was read: "
                    f"{', '.join(changed[:5]) or 'the file list'}; nothing was cached, read again"
                )
                raise FilesChangedError(msg)
            self._seen = after
        return raw

    @property
    def raw(self) -> xr.Dataset:
        """The raw data as an in-memory :class:`xarray.Dataset`, cached until the scan's files
        change (checked by fingerprint at each access) or :meth:`refresh`."""
        if self._raw is not None:
            self._validated()
        raw = self._raw
        if raw is None:
            logger.debug("reading raw data of %s", self._where())
            raw = self._read_raw()
            if raw_cache.remember(self):  # bounded: the least recently read scans let go
                self._raw = raw
        return raw

    def lazy(self) -> xr.Dataset:
        """The raw data as a dask-backed :class:`xarray.Dataset`; nothing bulk is read yet: from
        ``_get_lazy``, else delayed arrays laid out by ``_get_layout`` (else one read)."""
        import xarray as xr

        self._validated()
        lazy = self._get_lazy()
        if lazy is None:
            from .lazy import delayed_dataset

            return delayed_dataset(
                self._get_raw,
                name=f"nx5d-raw-{self.repository.url}-{self._where()}",
                layout=self._get_layout(),
            )
        if not isinstance(lazy, xr.Dataset):
            msg = f"{type(self).__name__}._get_lazy() returned {type(lazy).__name__}, not xarray.Dataset"
            raise AdapterContractError(msg)
        return lazy

    def _field_paths(self) -> list[tuple[str, str]]:
        """Every field as ``(path, class path)``; by default the variables of :meth:`lazy`."""
        lazy = self.lazy()
        return [(str(n), str(n)) for n in [*lazy.coords, *lazy.data_vars]]

    def find(self, name: str) -> list[str]:
        """The fields that ``name`` names exactly, nearest to the scan's top first.

        A field matches by its name, the last components of its path (``monochromator/energy``)
        or of its class path (``NXmonochromator/energy``); the repository's aliases for ``name``
        are tried after it, in order. Never a substring match, never a substitute value.

        Raises
        ------
        KeyNotFoundError
            Nothing matches (the message lists the closest names).
        """
        from .find import find_fields

        return find_fields(
            name, self._field_paths(), aliases=self.repository.aliases, where=self._where()
        )

    def to_dask(self) -> xr.Dataset:
        """Alias of :meth:`lazy` (databroker's name)."""
        return self.lazy()

    @property
    def streams(self) -> list[str]:
        """The scan's stream names: ``primary`` (:attr:`raw`) first, then the adapter's."""
        from .streams import stream_names

        return stream_names(self)

    def stream(self, name: str, *, lazy: bool = False) -> xr.Dataset:
        """The stream ``name`` (``primary`` is :attr:`raw`, or :meth:`lazy` with ``lazy``), read
        at each call; an unknown name raises :class:`~nx5d_core.errors.KeyNotFoundError`."""
        from .streams import read_stream

        return read_stream(self, name, lazy=lazy)

    @property
    def spice(self) -> SpiceView:
        """The resolved spice parameters that apply to this scan."""
        from .parameters import explain

        view = self.proposal.spice.view(self.key)
        view.explainer = functools.partial(explain, self, view=view)
        return view

    def follow(self, *, timeout: float | None = None, poll: float = 0.25) -> Iterator[Scan]:
        """Yield this scan each time it has more (or fewer) points, until ``timeout``."""
        from .follow import follow_scan

        return follow_scan(self, timeout=timeout, poll=poll)

    @property
    def cooked(self) -> xr.Dataset:
        """The processed data for the current spice view (cached by the view's hash)."""
        return self.cook()

    def cook(
        self,
        *,
        recipe: str | None = None,
        lazy: bool = False,
        view: SpiceView | None = None,
        **overrides: Any,
    ) -> xr.Dataset:
        """Process the scan with its spice view, optionally overriding some parameters.

        Parameters
        ----------
        recipe
            An installed recipe (``nx5d recipes``) to cook with; default: the adapter's cook
            step (:meth:`_cook`, which runs :attr:`default_recipe`).
        lazy
            Cook from :meth:`lazy` (streaming, low memory) instead of :attr:`raw`.
        view
            The spice view to cook with, resolved elsewhere (``cook_many`` resolves every
            scan's view in one sweep and ships it with the task); default: :attr:`spice`.
        **overrides
            ``handle=value`` pairs that replace (model or dict) or update (dict of fields) the
            view's entries for this call only; they are part of the cache key.
        """
        import xarray as xr

        from .provenance import cook_key, provenance_attrs

        files = self._validated()
        base = self.spice if view is None else view
        view = base.with_overrides(overrides) if overrides else base
        key = cook_key(
            scan=self, view=view, files=None if files is None else files.digest(), recipe=recipe
        )
        cached = self._cooked.get(key)
        if cached is not None:
            self._cooked.move_to_end(key)
            return cached
        raw = self.lazy() if lazy else self.raw
        if self._seen is not files:  # the read saw newer files than the key was made from
            files = self._seen
            key = cook_key(
                scan=self, view=view, files=None if files is None else files.digest(), recipe=recipe
            )
        if recipe is None:
            cooked = self._cook(raw, view)
        else:
            cooked = self._run_recipe(recipe, raw=raw, view=view)
        if not isinstance(cooked, xr.Dataset):
            msg = f"{type(self).__name__}._cook() returned {type(cooked).__name__}, not xarray.Dataset"
            raise AdapterContractError(msg)
        cooked = cooked.assign_attrs(provenance_attrs(scan=self, view=view, key=key))
        if view.defaults_used:
            import json

            cooked.attrs["nx5d_spice_defaults"] = json.dumps(view.defaults_used, sort_keys=True)
        self._cooked[key] = cooked
        while len(self._cooked) > _COOK_CACHE_SIZE:
            self._cooked.popitem(last=False)
        return cooked

    def table(self) -> pd.DataFrame:
        """The raw data's values per scan point (counters, motors) as a DataFrame: one row per
        point, never a cartesian product of unrelated dimensions.

        The points are the dimensions of the scan's per-point variables: those of the fewest
        dimensions that most variables share (``point`` for a line scan; ``(y, x)`` for a map,
        with a row per map point). Variables along other dimensions are left out and named in
        ``DataFrame.attrs["nx5d_left_out"]``.

        Raises
        ------
        NoTableError
            The scan has no variable along any dimension (only single values).
        """
        from .tables import point_table

        return point_table(self.raw, where=f"scan {self.key!r} of proposal {self.proposal.key!r}")

    _caches: ClassVar[dict[str, Callable[[], Any] | _Drop]] = {
        "summary_record": SummaryRecord,
        "_raw": lambda: None,
        "_cooked": OrderedDict,
        "_seen": lambda: None,
        "_observed": lambda: None,
        "_metadata": lambda: None,
    }

    def refresh(self) -> None:
        """Drop the cached summary, raw data, metadata and cooked results (and the adapter's own
        caches declared in ``_caches``)."""
        raw_cache.forget(self)
        self._reset_caches()

    def _repr_html_(self) -> str:
        from .html import scan_html

        return scan_html(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r} of proposal {self.proposal.key!r}>"
