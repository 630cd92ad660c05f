"""The collector pause of bulk listings leaves the garbage collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from nx5d_core.exports import LazyMapping
from nx5d_core.gcpause import collector_paused


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector")
def test_paused_inside_and_enabled_again_after_an_error() -> None:
    gc.enable()
    seen = []

    def fails() -> None:
        with collector_paused():
            seen.append(gc.isenabled())
            msg = "inside"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="inside"):
        fails()
    assert seen == [False]
    assert gc.isenabled()


@pytest.mark.usefixtures("collector")
def test_a_callers_own_disable_is_kept_and_nesting_works() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_lazy_mapping_reads_its_target_on_first_use() -> None:
    lazy = LazyMapping("nx5d_core.paths:__dict__")
    assert "file_identity" in lazy  # a module's namespace is a mapping
    assert lazy["REMOTE_ROOT"] == "<remote>"
    assert len(lazy) == len(dict(lazy))
    with pytest.raises(ModuleNotFoundError):
        len(LazyMapping("nx5d_core.no_such_module:X"))


def test_the_collector_is_relaxed_inside_and_put_back_after_an_error() -> None:
    from nx5d_core.gcpause import RELAXED_THRESHOLD, collector_relaxed

    before = gc.get_threshold()
    inside: list[tuple[tuple[int, int, int], bool]] = []

    def fails() -> None:
        with collector_relaxed():
            inside.append((gc.get_threshold(), gc.isenabled()))
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        fails()
    assert inside == [((max(before[0], RELAXED_THRESHOLD), *before[1:]), True)]  # still collecting
    assert gc.get_threshold() == before


def test_relaxed_blocks_in_two_threads_put_the_thresholds_back_once_both_end() -> None:
    import threading

    from nx5d_core.gcpause import RELAXED_THRESHOLD, collector_relaxed

    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_relaxed():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with collector_relaxed():
        thread.start()
        assert inside.wait(10)
    assert gc.get_threshold()[0] == max(before[0], RELAXED_THRESHOLD)  # the other is still in
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_thresholds_set_meanwhile_are_kept() -> None:
    from nx5d_core.gcpause import collector_relaxed

    before = gc.get_threshold()
    try:
        with collector_relaxed():
            gc.set_threshold(1234, 5, 6)  # the application's own choice
        assert gc.get_threshold() == (1234, 5, 6)
    finally:
        gc.set_threshold(*before)


def test_a_listing_runs_with_the_collector_relaxed(monkeypatch: pytest.MonkeyPatch) -> None:
    import nx5d_core
    from nx5d_core.gcpause import RELAXED_THRESHOLD

    seen: list[int] = []
    repo = nx5d_core.open_repository("memory://gc", data={"p": {"s1": [1, 2]}}, index=False)
    proposal = repo["p"]
    original = type(proposal)._summaries

    def spy(self):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        return original(self)

    monkeypatch.setattr(type(proposal), "_summaries", spy)
    assert [e.key for e in proposal.summaries()] == ["s1"]
    assert len(seen) == 1
    assert seen[0] >= RELAXED_THRESHOLD
