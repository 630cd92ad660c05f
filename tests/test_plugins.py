"""Plugin discovery: entry points, broken plugins, blocking, name clashes, unknown adapters."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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
        nx5d_core.open_repository("memory://x", adapter="nosuch", data={})
    assert "'nosuch'" in str(info.value)
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


def test_listing_summaries_loads_no_heavy_package(tmp_path: Path) -> None:
    """Every plugin is loaded to find the adapter; none may import xarray, pandas, dask or h5py
    on the way (a listing needs none of them: its cost would fall on every ``nx5d ls``), nor a
    recipe's parameter model or the recipe machinery with spice (the recipes plugin is loaded
    with the others); a listing from the index imports no NumPy either."""
    pytest.importorskip("nx5d_udkm")
    from nx5d_udkm.sample import make_listing_repository

    root = make_listing_repository(tmp_path / "data", proposals=1, scans=3)
    code = (
        "import sys, nx5d_core\n"
        "repo = nx5d_core.open_repository(sys.argv[1])\n"
        "assert all(e.summary is not None for p in repo.values() for e in p.summaries())\n"
        "heavy = ('xarray', 'pandas', 'dask', 'h5py', 'nx5d_recipes.rsm_model', 'nx5d_recipes.flatfield_model', 'nx5d_core.recipes', 'nx5d_core.spice', *sys.argv[2:])\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    env = {**os.environ, "NX5D_INDEX": str(tmp_path / "index.sqlite")}
    for also in ([], ["numpy"]):  # the second process lists from the index: no manifest is parsed
        argv = [sys.executable, "-c", code, str(root), *also]
        out = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
        assert out.stdout.strip() == "", also


# -- plugins cannot hijack or break each other ---------------------------------------------
_IMPOSTOR = (
    "import nx5d_core\nfrom nx5d_memory import MemoryRepository\n"
    "class Fake(MemoryRepository):\n    name = {name!r}\n"
    "@nx5d_core.hookimpl\ndef nx5d_register_adapters(registry):\n    registry.add(Fake)\n"
)


def test_third_party_cannot_take_a_builtin_adapter_name(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point("aaa_impostor", _IMPOSTOR.format(name="udkm"))  # sorts before 'udkm'
    with pytest.warns(RuntimeWarning) as seen:
        info = nx5d_core.get_adapter("udkm")
    assert info.cls.__module__ == "nx5d_udkm.repository"
    assert info.builtin
    message = " ".join(str(w.message) for w in seen)
    assert "the built-in keeps it" in message
    assert "nx5d_test_plugin_aaa_impostor 0.0.1's registration is ignored" in message


def test_two_third_parties_with_one_name_lose_it_both(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point("twin_a", _IMPOSTOR.format(name="twin"))
    add_entry_point("twin_b", _IMPOSTOR.format(name="twin"))
    with pytest.warns(RuntimeWarning, match="'twin' is registered twice.*neither is used"):
        names = [i.name for i in nx5d_core.list_adapters()]
    assert "twin" not in names
    with pytest.raises(AdapterConflictError) as info:
        nx5d_core.get_adapter("twin")
    assert "nx5d_test_plugin_twin_a 0.0.1" in str(info.value)
    assert "nx5d_test_plugin_twin_b 0.0.1" in str(info.value)
    assert nx5d_core.open_repository("memory://x", data={}).name == "memory"  # not guessed


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            "import nx5d_core\n@nx5d_core.hookimpl\ndef nx5d_register_adapters(reg, extra):\n    pass\n",
            "does not fit the nx5d hook specifications",
        ),
        (
            "import nx5d_core\n@nx5d_core.hookimpl\ndef nx5d_register_gadgets(registry):\n    pass\n",
            "does not fit the nx5d hook specifications.*nx5d_register_gadgets",
        ),
        ("raise SystemExit(3)\n", "failed to load.*SystemExit"),
        (
            (
                "import nx5d_core\n@nx5d_core.hookimpl\ndef nx5d_register_adapters(registry):\n"
                "    raise SystemExit('bye')\n"
            ),
            "raised in nx5d_register_adapters.*SystemExit: bye",
        ),
    ],
    ids=["wrong-signature", "unknown-hook", "exit-at-import", "exit-in-hook"],
)
def test_any_broken_plugin_is_skipped_and_the_others_load(
    add_entry_point: Callable[[str, str], None], body: str, match: str
) -> None:
    add_entry_point("broken", body)
    with pytest.warns(RuntimeWarning, match=rf"nx5d plugin 'broken'.*{match}"):
        names = [i.name for i in nx5d_core.list_adapters()]
    assert {"memory", "udkm", "hdf5"} <= set(names)


def test_cli_lists_adapters_despite_a_plugin_that_breaks_validation(
    add_entry_point: Callable[[str, str], None], capsys: pytest.CaptureFixture[str]
) -> None:
    from nx5d_core.cli import main

    add_entry_point(
        "broken",
        "import nx5d_core\n@nx5d_core.hookimpl\ndef nx5d_register_gadgets(registry):\n    pass\n",
    )
    with pytest.warns(RuntimeWarning, match="'broken'"):
        assert main(["adapters"]) == 0
    out = capsys.readouterr()
    assert "memory\t" in out.out
    assert "Traceback" not in out.err


def test_disabled_plugin_asked_for_by_name_says_how_to_enable_it(
    monkeypatch: pytest.MonkeyPatch, fresh_plugins: None
) -> None:
    monkeypatch.setenv("NX5D_DISABLED_PLUGINS", "udkm")
    nx5d_core.refresh_plugins()
    with pytest.raises(AdapterNotFoundError, match=r"'udkm'.*is disabled by NX5D_DISABLED_PLUGINS"):
        nx5d_core.open_repository("/data/{proposal}/{scan}/manifest.dat", adapter="udkm")


def test_third_party_cannot_take_a_builtin_spice_type(
    add_entry_point: Callable[[str, str], None],
) -> None:
    from nx5d_core.plugins import load_spice_types

    add_entry_point(
        "aaa_rsm",
        "import nx5d_core, pydantic\nclass Evil(pydantic.BaseModel):\n    x: int = 0\n"
        "@nx5d_core.hookimpl\ndef nx5d_register_spice_types(registry):\n    registry.add('rsm', Evil)\n",
    )
    with pytest.warns(RuntimeWarning, match="spice type name 'rsm'.*nx5d_test_plugin_aaa_rsm"):
        model = load_spice_types().model("rsm")
    assert model is not None
    assert model.__module__.startswith("nx5d_recipes")  # the rsm recipe's model


def test_guess_that_raises_is_named_and_left_out(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point(
        "guesser",
        "import nx5d_core\nfrom nx5d_memory import MemoryRepository\n"
        "class G(MemoryRepository):\n    name = 'guesser'\n"
        "    @classmethod\n    def guess_can_open(cls, url):\n        raise OSError('disk gone')\n"
        "@nx5d_core.hookimpl\ndef nx5d_register_adapters(registry):\n    registry.add(G)\n",
    )
    with pytest.warns(RuntimeWarning, match=r"'guesser'.*raised in guess_can_open.*disk gone"):
        repo = nx5d_core.open_repository("memory://x", data={})
    assert repo.name == "memory"
