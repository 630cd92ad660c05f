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
