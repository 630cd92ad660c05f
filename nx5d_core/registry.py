"""The adapter registry that plugins fill through ``nx5d_register_adapters``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import AdapterConflictError, AdapterContractError, AdapterNotFoundError
from .ownership import Owner, Ownership

if TYPE_CHECKING:
    from .repository import Repository

__all__ = ["AdapterInfo", "AdapterRegistry"]


@dataclass(frozen=True, slots=True)
class AdapterInfo:
    """What the registry knows of one adapter."""

    name: str
    description: str
    url_patterns: tuple[str, ...]
    distribution: str
    version: str
    cls: type[Repository]
    builtin: bool = False


class AdapterRegistry:
    """Adapters by name; plugins call :meth:`add`, users read through :meth:`view`."""

    def __init__(self) -> None:
        self._adapters: dict[str, AdapterInfo] = {}
        self.ownership = Ownership()
        self.disabled: dict[str, str] = {}  # entry-point name -> value, blocked by the environment

    def add(self, cls: type[Repository], *, overwrite: bool = False) -> None:
        """Register a :class:`~nx5d_core.Repository` subclass under its ``name``.

        Raises
        ------
        AdapterConflictError
            If another class already uses that name and ``overwrite`` is false. While plugins
            load, clashes are settled by :mod:`nx5d_core.ownership` instead (built-ins keep
            their names; two third parties lose theirs) with a warning.
        """
        from .repository import Repository

        if not (isinstance(cls, type) and issubclass(cls, Repository)):
            msg = f"registry.add() takes a Repository subclass, got {cls!r}"
            raise AdapterContractError(msg)
        name = getattr(cls, "name", "")
        if not name:
            msg = f"adapter class {cls.__qualname__} does not declare a 'name'"
            raise AdapterContractError(msg)
        owner = self.ownership.current
        if name in self.ownership.contested:
            self.ownership.contested[name].append(owner.distribution)
            return
        old = self._adapters.get(name)
        if old is not None and old.cls is not cls:
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
            description=cls.description,
            url_patterns=tuple(cls.url_patterns),
            distribution=owner.distribution,
            version=cls.version,
            cls=cls,
            builtin=owner.builtin,
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
