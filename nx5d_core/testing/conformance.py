"""The conformance suite adapter authors run against their repository.

Subclass :class:`AdapterConformance` in a test module and give it a ``repository`` fixture (a
repository over sample data) and, ideally, a ``corrupt`` fixture (a function that damages a
scan's files so that reading it must fail)::

    class TestMyAdapter(AdapterConformance):
        @pytest.fixture
        def repository(self, tmp_path):
            make_sample(tmp_path)
            return MyRepository(str(tmp_path))

Every failure message says what to change in the adapter.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from ..errors import InvalidKeyError, KeyNotFoundError
from ..keys import natural_key
from ..proposal import Proposal
from ..repository import Repository
from ..scan import Scan

__all__ = ["AdapterConformance"]

MAX_PROPOSALS = 3
MAX_SCANS = 3


class BulkReadError(AssertionError):
    """Raised by the suite's spy when a summary reads bulk data."""


def _scans(repository: Repository) -> Iterator[Scan]:
    for proposal in repository[:MAX_PROPOSALS]:
        yield from proposal[:MAX_SCANS]


class AdapterConformance:
    """Checks every adapter must pass. Provide ``repository`` (and optionally ``corrupt``)."""

    @pytest.fixture
    def repository(self) -> Repository:
        """Override: a repository over sample data with at least one proposal and one scan."""
        pytest.fail("define a `repository` fixture in your AdapterConformance subclass")

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None] | None:
        """Override: a function that damages a scan's files so that reading it must raise."""
        return None

    corrupt_reads: ClassVar[tuple[str, ...]] = ("summary", "raw")
    """What must raise on the damage ``corrupt`` does: a frame series whose summary is its
    listing cannot see a damaged frame (set ``("raw",)``); its raw must."""

    # -- the contract ------------------------------------------------------------------
    def test_adapter_declares_metadata(self, repository: Repository) -> None:
        cls = type(repository)
        assert cls.name, (
            f"{cls.__qualname__}: set the class variable `name` (the adapter's name users pass as adapter=...)"
        )
        assert cls.description, (
            f"{cls.__qualname__}: set `description`, one line shown by `nx5d adapters`"
        )
        assert cls.url_patterns, (
            f"{cls.__qualname__}: set `url_patterns`, e.g. ('*/{{proposal}}/{{scan}}/data.csv',)"
        )

    def test_adapter_is_registered_through_its_entry_point(self, repository: Repository) -> None:
        from ..plugins import load_registry, refresh_plugins

        refresh_plugins()
        registry = load_registry()
        name = type(repository).name
        assert name in registry, (
            f'adapter {name!r} is not registered: add `[project.entry-points.nx5d] <name> = "<package>.plugin"` '
            "to pyproject.toml, implement nx5d_register_adapters there, and install the package (pip install -e .)"
        )
        assert registry[name].cls.__qualname__ == type(repository).__qualname__

    def test_listing_is_not_silently_empty(self, repository: Repository) -> None:
        keys = repository.keys()
        assert keys, (
            "the repository lists no proposals over the sample data: if the source cannot be read, "
            "_list_proposals must raise (FileNotFoundError, ...) instead of returning nothing"
        )
        for proposal in repository[:MAX_PROPOSALS]:
            assert proposal.keys(), (
                f"proposal {proposal.key!r} lists no scans over the sample data: _list_scans must raise "
                "when it cannot read the source, never return an empty list"
            )

    def test_listing_and_getitem_agree(self, repository: Repository) -> None:
        keys = repository.keys()
        assert len(repository) == len(keys)
        for key in keys[:MAX_PROPOSALS]:
            proposal = repository[key]
            assert isinstance(proposal, Proposal), f"_proposal({key!r}) must return a Proposal"
            assert proposal.key == key, (
                f"_proposal({key!r}) returned a proposal with key {proposal.key!r}"
            )
            for scan_key in proposal.keys()[:MAX_SCANS]:
                scan = proposal[scan_key]
                assert scan.key == scan_key, (
                    f"_scan({scan_key!r}) returned a scan with key {scan.key!r}"
                )
                assert scan.proposal is proposal, (
                    f"_scan({scan_key!r}) must pass proposal=self to the Scan"
                )

    def test_handles_unique_and_stable(self, repository: Repository) -> None:
        collections: list[Repository | Proposal] = [repository, *repository[:MAX_PROPOSALS]]
        for collection in collections:
            handles = collection.handles()
            assert sorted(handles.values()) == sorted(collection.keys()), (
                "every key must have exactly one handle"
            )
            assert all(h.isidentifier() for h in handles)
            assert collection.handles() == handles, "handles must not change between calls"
            for handle, key in handles.items():
                assert getattr(collection, handle) is collection[key]

    def test_scan_order_is_consistent_and_not_string_order(self, repository: Repository) -> None:
        for proposal in repository[:MAX_PROPOSALS]:
            keys = proposal.keys()
            assert keys == sorted(keys, key=proposal.scan_order), "keys() must follow scan_order"
            assert proposal[-1].key == keys[-1]
            natural = sorted(keys, key=natural_key)
            if natural != keys and keys == sorted(keys):
                pytest.fail(
                    f"proposal {proposal.key!r}: scans are in plain string order ({keys[:4]}...), so r10 comes "
                    "before r2; return natural_key(key) or a real start time from scan_order"
                )

    def test_listed_fingerprints_are_the_scans_own(self, repository: Repository) -> None:
        for proposal in repository[:MAX_PROPOSALS]:
            keys = proposal.keys()[:MAX_SCANS]
            listed = proposal._listed_fingerprints(keys)
            if listed is None:
                continue
            for key in keys:
                assert listed.get(key) == proposal[key]._summary_fingerprint(), (
                    f"{type(proposal).__qualname__}._listed_fingerprints gives scan {key!r} "
                    "another fingerprint than its _summary_fingerprint(): the index would "
                    "recompute it at every listing"
                )

    def test_streams_start_with_primary_and_read(self, repository: Repository) -> None:
        for scan in _scans(repository):
            names = scan.streams
            assert names[0] == "primary", (
                f"{scan!r}: streams must start with 'primary', got {names}"
            )
            for name in names[1:]:
                data = scan.stream(name)
                assert data.variables, f"{scan!r}: stream {name!r} read as an empty Dataset"

    def test_missing_keys_raise_framework_errors(self, repository: Repository) -> None:
        with pytest.raises(KeyNotFoundError):
            repository["nx5d-conformance-no-such-proposal"]
        proposal = repository[0]
        with pytest.raises(KeyNotFoundError):
            proposal["nx5d-conformance-no-such-scan"]
        with pytest.raises(InvalidKeyError):
            proposal["../escape"]
        with pytest.raises(IndexError):
            proposal[len(proposal) + 5]
        with pytest.raises(AttributeError):
            _ = proposal.nx5d_conformance_no_such_handle

    def test_summaries_load_no_bulk_data(
        self, repository: Repository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for scan in _scans(repository):
            cls = type(scan)

            def refuse(*args: Any, _cls: type = cls, **kwargs: Any) -> Any:
                msg = f"{_cls.__qualname__}._get_summary read bulk data (called _get_raw/_get_lazy): summaries must be cheap"
                raise BulkReadError(msg)

            monkeypatch.setattr(cls, "_get_raw", refuse)
            monkeypatch.setattr(cls, "_get_lazy", refuse)
            scan.refresh()
            summary = scan.summary
            assert summary.key == scan.key
            assert summary.num_frames >= 0
            assert summary.time is None or summary.time.tzinfo is not None, (
                "summary.time must be timezone-aware"
            )
            monkeypatch.undo()

    def test_corrupt_scan_raises_instead_of_returning(
        self, repository: Repository, corrupt: Callable[[Scan], None] | None
    ) -> None:
        if corrupt is None:
            pytest.skip(
                "no `corrupt` fixture: give one to check that damaged files raise instead of giving defaults"
            )
        scan = repository[0][0]
        corrupt(scan)
        scan.refresh()
        returned = []
        reads = (("summary", lambda: scan.summary), ("raw", lambda: scan.raw))
        for what, read in (r for r in reads if r[0] in self.corrupt_reads):
            try:
                read()
            except Exception:  # noqa: BLE001, S112 - any error is the right answer here
                continue
            returned.append(what)
        assert not returned, (
            f"scan {scan.key!r} was damaged but {' and '.join(returned)} still returned a result: "
            "an adapter must raise (naming the file) instead of returning defaults or empty data"
        )

    def test_raw_equals_lazy(self, repository: Repository) -> None:
        import xarray as xr

        for scan in _scans(repository):
            raw = scan.raw
            lazy = scan.lazy()
            assert isinstance(raw, xr.Dataset)
            assert set(raw.variables) == set(lazy.variables), (
                "lazy() must have the same variables as raw"
            )
            xr.testing.assert_identical(lazy.compute(), raw)

    def test_lazy_reads_no_bulk_data(
        self, repository: Repository, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for scan in _scans(repository):
            cls = type(scan)
            if cls.layout_needs_data:
                pytest.skip(f"{cls.__qualname__}.layout_needs_data: its layout is known only by reading the scan")  # fmt: skip
            calls: list[str] = []
            original = cls._get_raw

            def spy(self: Scan, _original: Any = original, _calls: list[str] = calls) -> Any:
                _calls.append(self.key)
                return _original(self)

            monkeypatch.setattr(cls, "_get_raw", spy)
            scan.refresh()
            scan.lazy()
            monkeypatch.undo()
            assert not calls, (
                f"{cls.__qualname__}: lazy() read the whole scan (_get_raw) to learn its layout; "
                "give _get_lazy, or _get_layout (shapes and dtypes without bulk data)"
            )

    def test_scans_pickle(self, repository: Repository) -> None:
        for scan in _scans(repository):
            clone = pickle.loads(pickle.dumps(scan))
            assert clone.key == scan.key
            assert clone.summary == scan.summary, (
                "a pickled scan must read the same summary (keep no open handles in it)"
            )

    def test_cooked_results_carry_provenance(self, repository: Repository) -> None:
        scan = repository[0][0]
        if type(scan)._cook is Scan._cook and type(scan).default_recipe is None:
            pytest.skip("the adapter defines no cook step and no default recipe")
        cooked = scan.cooked
        assert cooked.attrs["nx5d_adapter"] == type(repository).name
        assert "nx5d_spice" in cooked.attrs
        assert scan.cooked is cooked, "an unchanged spice view must return the cached cook"
