"""Named repositories: YAML files on ``NX5D_CONFIG_PATH``, like databroker's ``Broker.named``.

A file ``<name>.yml`` (or ``.yaml``) holds::

    url: file:///data/udkm/{proposal}/{scan}
    adapter: udkm          # optional: guessed from the URL otherwise
    spice: /data/udkm/spice.sqlite   # optional
    description: UDKM lab diffractometer
    options: {}            # adapter keyword options
    allow_outside:         # optional: folders outside the root that may be read (links into them)
      - /detector-store/udkm
    index: /data/udkm/index.sqlite   # optional: the summary index (false: none)
    aliases:               # optional: names for scan.find(), tried in order
      energy: [instrument/monochromator/energy, en]
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError, KeyNotFoundError

if TYPE_CHECKING:
    from .repository import Repository

__all__ = [
    "Catalog",
    "RepositoryConfig",
    "catalog",
    "config_paths",
    "list_configs",
    "load_config",
    "open_config",
]

CONFIG_ENV = "NX5D_CONFIG_PATH"


class RepositoryConfig(BaseModel):
    """The content of one named-repository file."""

    model_config = ConfigDict(extra="forbid")

    url: str
    adapter: str | None = None
    spice: str | None = None
    description: str = ""
    options: dict[str, Any] = {}
    allow_outside: list[str] = []
    index: bool | str | None = None
    aliases: dict[str, list[str]] = {}


def config_paths() -> list[Path]:
    """Folders searched, in order: ``NX5D_CONFIG_PATH`` (``os.pathsep``-separated) or the user config dir."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    import platformdirs

    return [Path(platformdirs.user_config_dir("nx5d"))]


def _files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in config_paths():
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in {".yml", ".yaml"} and path.stem not in found:
                found[path.stem] = path
    return found


def list_configs() -> list[str]:
    """Names of the configured repositories."""
    return sorted(_files())


def load_config(name: str) -> RepositoryConfig:
    """Read and validate the config called ``name``; errors name the file and the field."""
    import yaml

    files = _files()
    if name not in files:
        where = "config folders " + ", ".join(str(p) for p in config_paths())
        raise KeyNotFoundError(name, kind="repository config", where=where, candidates=files)
    path = files[name]
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        msg = f"{path}: not valid YAML: {exc}"
        raise ConfigError(msg) from exc
    if not isinstance(content, dict):
        msg = f"{path}: expected a mapping with at least 'url', got {type(content).__name__}"
        raise ConfigError(msg)
    try:
        config = RepositoryConfig.model_validate(content)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors()
        )
        msg = f"{path}: {problems}"
        raise ConfigError(msg) from exc
    # relative paths are relative to the config file's folder, as in every tool with config files
    allowed = [str((path.parent / p).resolve()) for p in config.allow_outside]
    spice = config.spice
    if (
        spice
        and "://" not in spice
        and spice != ":memory:"
        and not Path(spice).expanduser().is_absolute()
    ):
        spice = str((path.parent / spice).resolve())
    index = config.index
    if isinstance(index, str) and not Path(index).expanduser().is_absolute():
        index = str((path.parent / index).resolve())
    return config.model_copy(update={"allow_outside": allowed, "spice": spice, "index": index})


def open_config(
    name: str,
    *,
    spice: str | None = None,
    options: Mapping[str, Any] | None = None,
    index: bool | str | None = None,
) -> Repository:
    """Open the named repository; ``spice`` replaces the config's store, ``index`` the config's
    summary index, and ``options`` add to (or replace) the config's options."""
    from .errors import AdapterOptionError
    from .opening import open_repository
    from .options import CORE_PARAMETERS

    cfg = load_config(name)
    merged = {**cfg.options, **(options or {})}
    core = sorted((CORE_PARAMETERS | {"adapter", "index"}) & set(merged))
    if core:
        msg = (
            f"config {name!r}: {', '.join(core)} given as adapter options; they are the "
            "config's own keys (and the command's flags), not options"
        )
        raise AdapterOptionError(msg)
    repo = open_repository(
        cfg.url,
        adapter=cfg.adapter,
        spice=spice or cfg.spice,
        allow_outside=cfg.allow_outside,
        index=cfg.index if index is None else index,
        **merged,
    )
    if cfg.aliases:
        merged = {k: list(v) for k, v in type(repo).aliases.items()}
        for key, names in cfg.aliases.items():
            merged[key] = [*names, *(n for n in merged.get(key, []) if n not in names)]
        repo.aliases = merged  # type: ignore[misc]
    return repo


class Catalog(Mapping[str, "Repository"]):
    """``catalog["name"]`` opens the named repository; files are read at access, not import."""

    def __getitem__(self, name: str) -> Repository:
        return open_config(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list_configs())

    def __len__(self) -> int:
        return len(list_configs())

    def __repr__(self) -> str:
        return f"<Catalog of {', '.join(list_configs()) or 'no repositories'} in {', '.join(map(str, config_paths()))}>"


catalog = Catalog()
