"""Lazy package exports (PEP 562): a package names what it exports and where; importing the
package imports none of it, the first use of a name imports its module."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


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
