"""Named repositories from YAML files on NX5D_CONFIG_PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

import nx5d_core
from nx5d_core.config import load_config
from nx5d_core.errors import ConfigError, KeyNotFoundError


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    monkeypatch.setenv("NX5D_CONFIG_PATH", str(folder))
    return folder


def test_list_and_open_named_repository(config_dir: Path, tmp_path: Path) -> None:
    (config_dir / "lab.yml").write_text(
        "url: memory://lab\nadapter: memory\ndescription: test lab\n"
        f"spice: {tmp_path / 'spice.sqlite'}\noptions:\n  data:\n    p1:\n      r1: [1, 2, 3]\n"
    )
    (config_dir / "notes.txt").write_text("ignored")
    assert nx5d_core.list_configs() == ["lab"]
    assert list(nx5d_core.catalog) == ["lab"]
    repo = nx5d_core.catalog["lab"]
    assert repo.name == "memory"
    assert repo["p1"]["r1"].raw["value"].values.tolist() == [1, 2, 3]
    assert repo.spice_store.path == str(tmp_path / "spice.sqlite")


def test_first_folder_on_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x.yaml").write_text("url: memory://from-a\n")
    (b / "x.yml").write_text("url: memory://from-b\n")
    (b / "y.yml").write_text("url: memory://y\n")
    monkeypatch.setenv("NX5D_CONFIG_PATH", f"{a}:{b}")
    assert nx5d_core.list_configs() == ["x", "y"]
    assert load_config("x").url == "memory://from-a"


def test_malformed_config_names_file_and_field(config_dir: Path) -> None:
    (config_dir / "bad.yml").write_text("url: memory://x\nadaptor: memory\n")
    with pytest.raises(
        ConfigError, match=r"bad.yml: field 'adaptor': Extra inputs are not permitted"
    ):
        nx5d_core.catalog["bad"]
    (config_dir / "nourl.yml").write_text("adapter: memory\n")
    with pytest.raises(ConfigError, match=r"nourl.yml: field 'url': Field required"):
        load_config("nourl")
    (config_dir / "broken.yml").write_text("url: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yml: not valid YAML"):
        load_config("broken")
    (config_dir / "list.yml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="list.yml: expected a mapping"):
        load_config("list")


def test_unknown_name_lists_known_ones(config_dir: Path) -> None:
    (config_dir / "udkm.yml").write_text("url: memory://x\n")
    with pytest.raises(
        KeyNotFoundError,
        match=r"repository config 'udmk' not found in config folders .*closest: 'udkm'",
    ):
        nx5d_core.catalog["udmk"]


def test_config_aliases_and_allow_outside(config_dir: Path) -> None:
    (config_dir / "lab.yml").write_text(
        "url: memory://lab\nadapter: memory\noptions:\n  data:\n    p1:\n      r1: [1, 2, 3]\n"
        "aliases:\n  signal: [nothing_here, value]\n"
        "allow_outside: [../detectors]\n"
    )
    cfg = load_config("lab")
    assert cfg.allow_outside == [str((config_dir / ".." / "detectors").resolve())]
    scan = nx5d_core.catalog["lab"]["p1"]["r1"]
    assert scan.find("signal") == ["value"]
    with pytest.raises(KeyNotFoundError, match="field 'sig' not found"):
        scan.find("sig")
