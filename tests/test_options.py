"""Adapter options: one checked, frozen model per adapter, built at construction however the
adapter is made; data-shaping options marked in the type hint; constructors whose options
cannot be checked refused at registration; the registry's guess from declared patterns."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import pytest
from nx5d_udkm import UdkmRepository
from nx5d_udkm.sample import make_repository

import nx5d_core
from nx5d_core import AdapterContractError, AdapterOptionError, FileRepository, ShapesData
from nx5d_core.options import data_option_names, data_options
from nx5d_core.registry import AdapterRegistry


def _udkm(tmp_path: Path) -> Path:
    return make_repository(tmp_path / "r", scans={"20210205": ["091726"]}, delays=1)


def test_direct_construction_is_checked_as_open_repository_is(tmp_path: Path) -> None:
    root = str(_udkm(tmp_path))
    with pytest.raises(AdapterOptionError, match="reduce: Input should be greater than or equal to 1"):
        UdkmRepository(root, reduce=0)
    with pytest.raises(AdapterOptionError, match="reduce: Input should be a valid integer"):
        UdkmRepository(root, reduce="many")  # type: ignore[arg-type]
    with pytest.raises(AdapterOptionError, match="block_frames"):
        nx5d_core.open_repository(root, block_frames=0)
    with pytest.raises(AdapterOptionError, match="no option 'self'"):
        nx5d_core.open_repository(root, self=1)


def test_a_config_giving_spice_as_an_option_is_told_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_core.config import open_config

    monkeypatch.setenv("NX5D_CONFIG_PATH", str(tmp_path))
    (tmp_path / "lab.yml").write_text(f"url: {_udkm(tmp_path)}\noptions: {{reduce: 2}}\n")
    assert open_config("lab").options.reduce == 2
    with pytest.raises(AdapterOptionError, match="config 'lab': spice given as adapter options"):
        open_config("lab", options={"spice": "x.sqlite"})  # nx5d ls lab --option spice=...


def test_options_are_built_once_with_defaults_and_cannot_drift(tmp_path: Path) -> None:
    repo = UdkmRepository(str(_udkm(tmp_path)), reduce=2)
    assert repo.options is repo.options  # one object, not one per access
    assert repo.options.model_dump() == {
        "reduce": 2,
        "roi": None,
        "timezone": "Europe/Berlin",
        "workers": None,
        "progress": None,
        "block_frames": 64,
    }
    with pytest.raises(AttributeError, match="option 'reduce' is read-only"):
        repo.reduce = 4
    assert repo.reduce == 2
    assert repo.options.reduce == 2
    repo.refresh()  # caches go, the options stay
    assert repo.options.reduce == 2


def test_options_survive_pickling_and_need_no_listing(tmp_path: Path) -> None:
    import pickle

    repo = UdkmRepository(str(_udkm(tmp_path)), roi=[0, 10, 0, 20])
    assert repo.options.roi == (0, 10, 0, 20)  # checked and converted: a list became the tuple
    again = pickle.loads(pickle.dumps(repo))
    assert again.options.roi == (0, 10, 0, 20)
    assert again.roi == (0, 10, 0, 20)
    with pytest.raises(AttributeError, match="read-only"):
        again.roi = None
    # reading options touches no file: a repository whose root is gone still answers
    gone = UdkmRepository(str(tmp_path / "nowhere"), reduce=3)
    assert gone.options.reduce == 3
    assert data_options(gone) == {"reduce": 3, "roi": None}


def test_data_shaping_options_are_the_marked_ones() -> None:
    from nx5d_images.adapter import ImagesRepository
    from nx5d_spec.adapter import SpecRepository

    assert data_option_names(UdkmRepository) == ("reduce", "roi")
    assert data_option_names(ImagesRepository) == ("reduce", "roi")
    assert data_option_names(SpecRepository) == ("frames",)


class _Keywords(FileRepository):
    name = "kw"
    url_patterns = ("kw://*",)

    def __init__(self, url: str, **options: object) -> None:
        super().__init__(url)


class _OldStyle(FileRepository):
    name = "old"
    data_options = ("reduce",)

    def __init__(self, url: str, *, reduce: int = 1) -> None:
        super().__init__(url)


def test_constructors_whose_options_cannot_be_checked_are_refused_at_registration() -> None:
    registry = AdapterRegistry()
    with pytest.raises(AdapterContractError, match=r"takes \*\*options, so its options cannot be checked"):  # fmt: skip
        registry.add(_Keywords)
    with pytest.raises(AdapterContractError, match="declares 'data_options'.*ShapesData"):
        registry.add(_OldStyle)
    assert "kw" not in registry
    assert "old" not in registry


def test_a_plugin_with_such_an_adapter_warns_and_the_others_load(
    add_entry_point: Callable[[str, str], None],
) -> None:
    add_entry_point(
        "kwargs_adapter",
        "import nx5d_core\n"
        "class R(nx5d_core.FileRepository):\n"
        "    name = 'kwargs-adapter'\n"
        "    def __init__(self, url, **kw):\n"
        "        super().__init__(url)\n"
        "@nx5d_core.hookimpl\n"
        "def nx5d_register_adapters(registry):\n"
        "    registry.add(R)\n",
    )
    with pytest.warns(RuntimeWarning, match=r"kwargs_adapter.*\*\*kw"):
        names = [i.name for i in nx5d_core.list_adapters()]
    assert "kwargs-adapter" not in names
    assert "memory" in names


class _Unresolved(FileRepository):
    name = "unresolved"

    def __init__(self, url: str, *, reduce: Annotated[NotImported, ShapesData] = 1) -> None:  # type: ignore[name-defined]  # noqa: F821
        super().__init__(url)


def test_an_unresolvable_option_hint_is_an_error_not_a_lost_mark() -> None:
    with pytest.raises(AdapterContractError, match="type hint of option 'reduce'.*NotImported"):
        AdapterRegistry().add(_Unresolved)


class _Layout(FileRepository):
    name = "layout-only"
    layout = "/{proposal}/{scan}/counters.csv"

    def _list_scans(self) -> Iterable[str]:
        return []


def test_a_layout_is_a_constructor_and_a_guess(tmp_path: Path) -> None:
    (tmp_path / "p1" / "s1").mkdir(parents=True)
    assert not _Layout.guess_can_open(str(tmp_path))  # no scan laid out so yet
    (tmp_path / "p1" / "s1" / "counters.csv").write_text("a\n1\n")
    assert _Layout.guess_can_open(str(tmp_path))
    assert _Layout.guess_can_open(f"file://{tmp_path}")
    assert not _Layout.guess_can_open(str(tmp_path / "p1"))  # a proposal is not a root
    repo = _Layout(str(tmp_path))
    assert repo.pattern.boundary == str(tmp_path)
    assert repo.keys() == ["p1"]
    full = _Layout(f"{tmp_path}/{{proposal}}/{{scan}}/counters.csv")
    assert full.keys() == ["p1"]


def test_the_registry_guesses_a_dotted_adapter_without_importing_it(tmp_path: Path) -> None:
    about = types.ModuleType("fake_about")
    about.NAME, about.DESCRIPTION, about.VERSION = "fake", "a fake adapter", "1"  # type: ignore[attr-defined]
    about.URL_PATTERNS = ("fake://*",)  # type: ignore[attr-defined]
    about.LAYOUT = "/{proposal}/{scan}.fake"  # type: ignore[attr-defined]
    registry = AdapterRegistry()
    registry.add_described("never_imported_module:Fake", about)
    info = registry["fake"]
    assert info.guess_can_open("fake://somewhere")
    (tmp_path / "p").mkdir()
    assert not info.guess_can_open(str(tmp_path))
    (tmp_path / "p" / "001.fake").write_text("x")
    assert info.guess_can_open(str(tmp_path))
    assert not info.guess_can_open("file:///elsewhere/x.h5")
    assert "never_imported_module" not in sys.modules


_about = types.ModuleType("about_of_a_test_adapter")
_about.NAME, _about.DESCRIPTION, _about.VERSION = "from-about", "described in about.py", "2.1"  # type: ignore[attr-defined]
_about.URL_PATTERNS = ("*/x/*",)  # type: ignore[attr-defined]
_about.LAYOUT = "/{proposal}/{scan}/counters.csv"  # type: ignore[attr-defined]


class _OwnOptionsOnly(FileRepository, about=_about):
    def __init__(self, url: str, *, gain: float = 1.0) -> None:  # no spice, no allow_outside
        super().__init__(url)
        self.gain = gain


class _DeclaresTheCore(FileRepository, about=_about):
    def __init__(self, url: str, *, spice: str | None = None, gain: float = 1.0) -> None:
        super().__init__(url, spice=spice)
        self.seen_spice = spice


def test_the_core_arguments_reach_a_constructor_that_lists_only_its_own_options(tmp_path: Path) -> None:  # fmt: skip
    store = tmp_path / "spice.sqlite"
    repo = _OwnOptionsOnly(str(tmp_path), spice=str(store), allow_outside=[str(tmp_path / "det")], gain=2)  # fmt: skip
    assert repo.gain == 2.0
    assert repo.allow_outside == (str(tmp_path / "det"),)
    assert repo.spice_store.display.endswith("spice.sqlite")
    assert list(type(repo.options).model_fields) == ["gain"]  # the core arguments are no options
    plain = _OwnOptionsOnly(str(tmp_path))
    assert plain.allow_outside == ()
    declared = _DeclaresTheCore(str(tmp_path), spice=str(store))
    assert declared.seen_spice == str(store)  # one that declares it still gets it itself
    assert declared.spice_store.display.endswith("spice.sqlite")


def test_about_in_the_class_statement_names_and_lays_out_the_adapter(tmp_path: Path) -> None:
    assert (_OwnOptionsOnly.name, _OwnOptionsOnly.description, _OwnOptionsOnly.version) == ("from-about", "described in about.py", "2.1")  # fmt: skip
    assert _OwnOptionsOnly.url_patterns == ("*/x/*",)
    assert _OwnOptionsOnly.layout == "/{proposal}/{scan}/counters.csv"
    assert _OwnOptionsOnly(str(tmp_path)).pattern.url.endswith("/{proposal}/{scan}/counters.csv")


@pytest.mark.parametrize("adapter", ["xdi", "fio", "images", "hdf5", "udkm"])
def test_a_time_zone_option_is_checked_when_the_repository_is_opened(tmp_path: Path, adapter: str) -> None:  # fmt: skip
    url = f"{tmp_path}/{{proposal}}/{{scan}}.h5" if adapter == "hdf5" else str(tmp_path)
    with pytest.raises(AdapterOptionError, match=r"'Mars/Olympus' is not a time zone"):
        nx5d_core.open_repository(url, adapter=adapter, timezone="Mars/Olympus")
    repo = nx5d_core.open_repository(url, adapter=adapter, timezone="Europe/Paris")
    assert repo.options.timezone == "Europe/Paris"
