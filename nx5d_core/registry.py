"""The adapter registry that plugins fill through ``nx5d_register_adapters``."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any

from .errors import AdapterConflictError, AdapterContractError, AdapterNotFoundError
from .ownership import Owner, Ownership

if TYPE_CHECKING:
    from .repository import Repository

__all__ = ["AdapterInfo", "AdapterRegistry"]


def _import(target: str) -> Any:
    """``"package.module:Name"`` -> the object."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True, eq=False)
class AdapterInfo:
    """What the registry knows of one adapter.

    ``cls`` is imported on first use when the plugin registered the adapter by dotted path, so
    listing adapters imports no adapter module; ``guess`` likewise.
    """

    name: str
    description: str
    url_patterns: tuple[str, ...]
    distribution: str
    version: str
    target: str
    builtin: bool = False
    guess_target: str | None = None
    generic: bool = False
    """A reader of a format wherever it lies (every image file): it yields to an adapter of a
    facility's layout that claims the same URL (a UDKM folder holds TIFFs too)."""
    layout: str = ""
    """The adapter's layout below a root (``about.LAYOUT``), for the guess of one without its own."""
    _loaded: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def cls(self) -> type[Repository]:
        """The adapter class (imported now if it was registered by dotted path)."""
        if "cls" not in self._loaded:
            from .repository import Repository

            try:
                found = _import(self.target)
            except (ImportError, AttributeError) as exc:
                msg = f"adapter {self.name!r} ({self.distribution}): cannot import {self.target}: {exc}"
                raise AdapterContractError(msg) from exc
            if not (isinstance(found, type) and issubclass(found, Repository)):
                msg = f"adapter {self.name!r}: {self.target} is not a Repository subclass"
                raise AdapterContractError(msg)
            if found.name != self.name:
                msg = f"adapter {self.name!r}: {self.target} declares name {found.name!r}"
                raise AdapterContractError(msg)
            from .options import options_model

            options_model(found)  # a constructor whose options cannot be checked is refused
            self._loaded["cls"] = found
        cls: type[Repository] = self._loaded["cls"]
        return cls

    def guess_can_open(self, url: str) -> bool:
        """The adapter's guess: its light guess function when it registered one; for one
        registered by dotted path without, its declared URL patterns and layout (nothing is
        imported); else the class's ``guess_can_open``."""
        if self.guess_target is not None:
            return bool(_import(self.guess_target)(url))
        if "cls" not in self._loaded:
            from .folder_guess import guess_declared

            return guess_declared(url, url_patterns=self.url_patterns, layout=self.layout)
        return bool(self.cls.guess_can_open(url))


class AdapterRegistry:
    """Adapters by name; plugins call :meth:`add`, users read through :meth:`view`."""

    def __init__(self) -> None:
        self._adapters: dict[str, AdapterInfo] = {}
        self.ownership = Ownership()
        self.disabled: dict[str, str] = {}  # entry-point name -> value, blocked by the environment

    def add(
        self,
        cls: type[Repository] | str,
        *,
        overwrite: bool = False,
        name: str = "",
        description: str = "",
        url_patterns: tuple[str, ...] = (),
        version: str = "0",
        guess: str | None = None,
        generic: bool = False,
        layout: str = "",
    ) -> None:
        """Register a :class:`~nx5d_core.Repository` subclass under its ``name``.

        ``cls`` may be a dotted path ``"package.module:Class"`` with ``name``, ``description``,
        ``url_patterns`` and ``version`` given here: the module is imported only when the
        adapter is used, so ``nx5d adapters`` stays fast. ``guess`` is then the dotted path of a
        light function ``(url) -> bool`` that stands in for ``guess_can_open``; without one, the
        declared ``url_patterns`` and ``layout`` are the guess. A ``generic``
        adapter reads a format wherever it lies and yields to a specific one claiming the same URL.

        Raises
        ------
        AdapterConflictError
            If another class already uses that name and ``overwrite`` is false. While plugins
            load, clashes are settled by :mod:`nx5d_core.ownership` instead (built-ins keep
            their names; two third parties lose theirs) with a warning.
        """
        from .repository import Repository

        if isinstance(cls, str):
            if ":" not in cls or not name:
                msg = f"registry.add({cls!r}) needs a 'module:Class' path and name=..."
                raise AdapterContractError(msg)
            target, loaded = cls, {}
        elif isinstance(cls, type) and issubclass(cls, Repository):
            name, description = getattr(cls, "name", ""), cls.description
            url_patterns, version = tuple(cls.url_patterns), cls.version
            target, loaded = f"{cls.__module__}:{cls.__qualname__}", {"cls": cls}
            if not name:
                msg = f"adapter class {cls.__qualname__} does not declare a 'name'"
                raise AdapterContractError(msg)
            from .options import options_model

            options_model(cls)  # a constructor whose options cannot be checked is refused
        else:
            msg = (
                f"registry.add() takes a Repository subclass or a 'module:Class' path, got {cls!r}"
            )
            raise AdapterContractError(msg)
        owner = self.ownership.current
        if name in self.ownership.contested:
            self.ownership.contested[name].append(owner.distribution)
            return
        old = self._adapters.get(name)
        if old is not None and old.target != target:
            previous = Owner(old.distribution, old.builtin)
            replace = self.ownership.settle(
                kind="adapter",
                name=name,
                old=previous,
                overwrite=overwrite,
                error=AdapterConflictError,
            )
            if not replace:
                if name in self.ownership.contested:
                    del self._adapters[name]
                return
        self._adapters[name] = AdapterInfo(
            name=name,
            description=description,
            url_patterns=tuple(url_patterns),
            distribution=owner.distribution,
            version=version,
            target=target,
            builtin=owner.builtin,
            guess_target=guess,
            generic=generic,
            layout=layout or getattr(loaded.get("cls"), "layout", ""),
            _loaded=loaded,
        )

    def add_described(self, target: str, about: ModuleType, *, overwrite: bool = False) -> None:
        """Register the adapter class at ``target`` ("package.module:Class") by the description
        in its plugin's light ``about`` module: ``NAME``, ``DESCRIPTION``, ``URL_PATTERNS``,
        ``VERSION`` and, if present, ``LAYOUT``, ``guess_can_open`` and ``GENERIC``. Nothing heavy
        is imported."""
        self.add(
            target,
            overwrite=overwrite,
            name=about.NAME,
            description=about.DESCRIPTION,
            url_patterns=tuple(about.URL_PATTERNS),
            version=about.VERSION,
            guess=f"{about.__name__}:guess_can_open" if hasattr(about, "guess_can_open") else None,
            generic=bool(getattr(about, "GENERIC", False)),
            layout=getattr(about, "LAYOUT", ""),
        )

    def view(self) -> Mapping[str, AdapterInfo]:
        """Read-only view: name -> :class:`AdapterInfo`."""
        return MappingProxyType(self._adapters)

    def __getitem__(self, name: str) -> AdapterInfo:
        try:
            return self._adapters[name]
        except KeyError:
            contested = self.ownership.contested_message(kind="adapter", name=name)
            if contested is not None:
                raise AdapterConflictError(contested) from None
            if name in self.disabled:
                msg = (
                    f"no adapter named {name!r} is installed and enabled: the plugin {name!r} "
                    f"({self.disabled[name]}) is disabled by NX5D_DISABLED_PLUGINS; remove it "
                    "from that variable to enable it"
                )
                raise AdapterNotFoundError(msg) from None
            installed = ", ".join(sorted(self._adapters)) or "none"
            msg = (
                f"no adapter named {name!r} is installed; installed adapters: {installed}. "
                "Adapters come from packages with an 'nx5d' entry point, e.g. "
                "'pip install nx5d-udkm' (see `nx5d adapters`)"
            )
            raise AdapterNotFoundError(msg) from None

    def __contains__(self, name: object) -> bool:
        return name in self._adapters

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._adapters))

    def __len__(self) -> int:
        return len(self._adapters)
