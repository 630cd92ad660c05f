"""Lazy package exports (PEP 562): a package names what it exports and where; importing the
package imports none of it, the first use of a name imports its module."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["LazyMapping", "lazy_exports"]


def lazy_exports(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``name`` -> ``table[name]`` (a module path,
    absolute or relative to the package), imported on first use and then kept."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


class LazyMapping(Mapping[str, Any]):
    """A read-only mapping held by a module attribute (``"package.module:NAME"``), imported on
    first use: a class attribute such as ``Scan.recipe_defaults`` that must not import its
    recipe's model when the adapter is imported for a listing."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._value: Mapping[str, Any] | None = None

    def _loaded(self) -> Mapping[str, Any]:
        if self._value is None:
            module, _, name = self._target.partition(":")
            self._value = getattr(importlib.import_module(module), name)
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return f"LazyMapping({self._target!r})"
