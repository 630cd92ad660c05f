"""Plugin discovery: entry points in the group ``nx5d``, loaded on first use, never at import."""

from __future__ import annotations

import functools
import logging
import os
import warnings
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

import pluggy

from . import hookspecs
from .registry import AdapterInfo, AdapterRegistry

if TYPE_CHECKING:
    from .spice.types import SpiceTypeRegistry

__all__ = [
    "ENTRY_POINT_GROUP",
    "get_adapter",
    "get_plugin_manager",
    "list_adapters",
    "load_registry",
    "load_spice_types",
    "refresh_plugins",
]

ENTRY_POINT_GROUP = "nx5d"
DISABLE_ENV = "NX5D_DISABLED_PLUGINS"
logger = logging.getLogger(__name__)
# entry-point name -> "distribution version", filled while loading
_DISTRIBUTIONS: dict[str, str] = {}


def _disabled() -> set[str]:
    return {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}


def get_plugin_manager() -> pluggy.PluginManager:
    """Build a plugin manager with every enabled ``nx5d`` entry point registered.

    A plugin whose import fails is skipped with a :class:`RuntimeWarning` naming it; plugins
    named in ``NX5D_DISABLED_PLUGINS`` (comma-separated entry-point names) are blocked.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    disabled = _disabled()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in disabled:
            logger.info("nx5d plugin %r blocked by %s", ep.name, DISABLE_ENV)
            pm.set_blocked(ep.name)
            continue
        try:
            module = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure must not break the others
            warnings.warn(
                f"nx5d plugin {ep.name!r} ({ep.value}, from {_dist_name(ep)}) failed to load "
                f"and is skipped: {type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        pm.register(module, name=ep.name)
        _DISTRIBUTIONS[ep.name] = _dist_name(ep)
    pm.check_pending()
    return pm


def _dist_name(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def _call_each(pm: pluggy.PluginManager, hook_name: str, **kwargs: object) -> None:
    """Call one hook plugin by plugin, so that one failing plugin does not stop the others."""
    caller = getattr(pm.hook, hook_name)
    for impl in caller.get_hookimpls():
        registry = kwargs.get("registry")
        if isinstance(registry, AdapterRegistry):
            registry.current_distribution = _DISTRIBUTIONS.get(impl.plugin_name, impl.plugin_name)
        try:
            impl.function(**kwargs)
        except Exception as exc:  # noqa: BLE001 - reported as a warning naming the plugin
            warnings.warn(
                f"nx5d plugin {impl.plugin_name!r} raised in {hook_name} and is skipped: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=3,
            )


@functools.lru_cache(maxsize=1)
def load_registry() -> AdapterRegistry:
    """Load every plugin once and return the filled adapter registry (cached)."""
    registry = AdapterRegistry()
    _call_each(get_plugin_manager(), "nx5d_register_adapters", registry=registry)
    return registry


@functools.lru_cache(maxsize=1)
def load_spice_types() -> SpiceTypeRegistry:
    """Load every plugin once and return the spice type registry (cached)."""
    from .spice.types import SpiceTypeRegistry

    registry = SpiceTypeRegistry()
    _call_each(get_plugin_manager(), "nx5d_register_spice_types", registry=registry)
    return registry


def refresh_plugins() -> None:
    """Forget what was discovered, so the next use re-reads the entry points."""
    load_registry.cache_clear()
    load_spice_types.cache_clear()
    _DISTRIBUTIONS.clear()


def list_adapters() -> list[AdapterInfo]:
    """Every installed adapter, sorted by name."""
    view = load_registry().view()
    return [view[name] for name in sorted(view)]


def get_adapter(name: str) -> AdapterInfo:
    """The adapter called ``name``; the error lists the installed ones."""
    return load_registry()[name]
