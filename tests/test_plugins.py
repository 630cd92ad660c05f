"""Plugin discovery: entry points, broken plugins, blocking, name clashes, unknown adapters."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

import nx5d_core
from nx5d_core.errors import AdapterConflictError, AdapterGuessError, AdapterNotFoundError
from nx5d_core.registry import AdapterRegistry


def test_memory_adapter_is_discovered_through_entry_point() -> None:
    infos = {i.name: i for i in nx5d_core.list_adapters()}
    assert "memory" in infos
    info = infos["memory"]
    assert info.description.startswith("Proposals and scans held in memory")
    assert info.url_patterns == ("memory://*",)
    assert info.distribution.startswith("nx5d-memory ")
    assert info.cls.__module__ == "nx5d_memory.adapter"


def test_broken_plugin_warns_by_name_and_others_still_load(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point("broken", "raise ImportError('missing detector library')\n")
    with pytest.warns(RuntimeWarning, match=r"nx5d plugin 'broken'.*missing detector library"):
        names = [i.name for i in nx5d_core.list_adapters()]
    assert "memory" in names


def test_plugin_whose_hook_raises_warns_and_others_still_load(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point(
        "raiser",
        "import nx5d_core\n@nx5d_core.hookimpl\ndef nx5d_register_adapters(registry):\n    raise RuntimeError('boom')\n",
    )
    with pytest.warns(RuntimeWarning, match=r"'raiser' raised in nx5d_register_adapters.*boom"):
        names = [i.name for i in nx5d_core.list_adapters()]
    assert "memory" in names


def test_duplicate_adapter_name_from_a_plugin_is_reported(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point(
        "dupe",
        "import nx5d_core\nfrom nx5d_memory import MemoryRepository\n"
        "class Other(MemoryRepository):\n    name = 'memory'\n"
        "@nx5d_core.hookimpl\ndef nx5d_register_adapters(registry):\n    registry.add(Other)\n",
    )
    with pytest.warns(RuntimeWarning, match="registered twice"):
        info = nx5d_core.get_adapter("memory")
    assert info.cls.__name__ in {"MemoryRepository", "Other"}


def test_disabled_plugins_are_blocked(monkeypatch: pytest.MonkeyPatch, fresh_plugins: None) -> None:
    monkeypatch.setenv("NX5D_DISABLED_PLUGINS", "memory, other")
    nx5d_core.refresh_plugins()
    assert "memory" not in [i.name for i in nx5d_core.list_adapters()]
    with pytest.raises(AdapterNotFoundError, match="no adapter named 'memory' is installed"):
        nx5d_core.get_adapter("memory")


def test_registry_rejects_name_clash_unless_overwrite() -> None:
    from nx5d_memory import MemoryRepository

    class Clone(MemoryRepository):
        name = "memory"

    registry = AdapterRegistry()
    registry.add(MemoryRepository)
    registry.add(MemoryRepository)  # the same class twice is harmless
    with pytest.raises(AdapterConflictError, match=r"'memory' is registered twice.*overwrite=True"):
        registry.add(Clone)
    registry.add(Clone, overwrite=True)
    assert registry["memory"].cls is Clone
    with pytest.raises(TypeError):
        registry.view()["x"] = registry["memory"]  # type: ignore[index]


def test_unknown_adapter_lists_installed_ones() -> None:
    with pytest.raises(AdapterNotFoundError) as info:
        nx5d_core.open_repository("memory://x", adapter="spec", data={})
    assert "'spec'" in str(info.value)
    assert "memory" in str(info.value)
    assert "pip install" in str(info.value)


def test_adapter_guess_without_match_lists_candidates() -> None:
    with pytest.raises(
        AdapterGuessError, match=r"no installed adapter recognises 'ftp://x/y'.*memory"
    ):
        nx5d_core.open_repository("ftp://x/y")


def test_adapter_guess_picks_memory_for_memory_url() -> None:
    repo = nx5d_core.open_repository("memory://guess", data={"p": {"s1": [1, 2]}})
    assert repo.name == "memory"
    assert repo["p"]["s1"].raw["value"].values.tolist() == [1, 2]


def test_import_is_light_and_loads_no_plugin() -> None:
    code = (
        "import sys, nx5d_core\n"
        "heavy = [m for m in ('xarray', 'pandas', 'dask', 'numpy', 'fsspec', 'pydantic', 'pluggy', 'nx5d_memory', 'h5py')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
