"""Plugin discovery: entry points in the group ``nx5d``, loaded on first use, never at import."""

from __future__ import annotations

import functools
import logging
import os
import warnings
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, TypeVar

import pluggy

from . import hookspecs
from .ownership import BUILTIN_PACKAGES, Owner, Ownership
from .registry import AdapterInfo, AdapterRegistry


class OwnedRegistry(Protocol):
    """A registry plugins fill: it knows which plugin is registering (``ownership``)."""

    ownership: Ownership


R = TypeVar("R", bound=OwnedRegistry)

__all__ = [
    "ENTRY_POINT_GROUP",
    "cached_registry",
    "fill",
    "get_adapter",
    "get_plugin_manager",
    "list_adapters",
    "load_registry",
    "refresh_plugins",
    "skip_plugin",
]

ENTRY_POINT_GROUP = "nx5d"
DISABLE_ENV = "NX5D_DISABLED_PLUGINS"
logger = logging.getLogger(__name__)
# entry-point name -> owner (distribution, built in or not), filled while loading
_OWNERS: dict[str, Owner] = {}
# entry-point name -> value of the plugins blocked by NX5D_DISABLED_PLUGINS
_DISABLED: dict[str, str] = {}


def _disabled() -> set[str]:
    return {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}


def _skip(what: str, exc: BaseException) -> None:
    """Report a plugin that is skipped; never swallow Ctrl-C."""
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    warnings.warn(
        f"{what} and is skipped: {type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=3
    )


def _owner(ep: EntryPoint) -> Owner:
    dist = ep.dist
    name = dist.name if dist is not None else ""
    package = BUILTIN_PACKAGES.get(name.replace("_", "-").lower())
    builtin = package is not None and ep.value.split(":")[0].split(".")[0] == package
    return Owner(distribution=_dist_name(ep), builtin=builtin)


def get_plugin_manager() -> pluggy.PluginManager:
    """Build a plugin manager with every enabled ``nx5d`` entry point registered.

    Each plugin is guarded on its own: one whose import raises (anything but ``KeyboardInterrupt``,
    ``SystemExit`` included), whose hook implementations do not match the specs, or that
    implements an unknown ``nx5d_`` hook is skipped with a :class:`RuntimeWarning` naming it, and
    the others load. Plugins named in ``NX5D_DISABLED_PLUGINS`` (comma-separated entry-point
    names) are blocked. Built-in plugins are registered first.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    disabled = _disabled()
    found = list(entry_points(group=ENTRY_POINT_GROUP))
    for ep in sorted(found, key=lambda e: (not _owner(e).builtin, e.name)):
        if ep.name in disabled:
            logger.info("nx5d plugin %r blocked by %s", ep.name, DISABLE_ENV)
            pm.set_blocked(ep.name)
            _DISABLED[ep.name] = f"{ep.value}, from {_dist_name(ep)}"
            continue
        what = f"nx5d plugin {ep.name!r} ({ep.value}, from {_dist_name(ep)})"
        try:
            module = ep.load()
        except BaseException as exc:  # noqa: BLE001 - any failure must not break the others
            _skip(f"{what} failed to load", exc)
            continue
        try:
            pm.register(module, name=ep.name)
            pm.check_pending()
        except BaseException as exc:  # noqa: BLE001 - PluginValidationError and the like
            if pm.is_registered(module):
                pm.unregister(module)
            _skip(f"{what} does not fit the nx5d hook specifications", exc)
            continue
        _OWNERS[ep.name] = _owner(ep)
    return pm


def _dist_name(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"


def _call_each(
    pm: pluggy.PluginManager,
    hook_name: str,
    *,
    registry: OwnedRegistry,
) -> None:
    """Call one hook plugin by plugin (built-ins first), so that one failing plugin does not
    stop the others; the registry knows which plugin is registering."""
    caller = getattr(pm.hook, hook_name)
    impls = sorted(
        caller.get_hookimpls(),
        key=lambda i: (not _OWNERS.get(i.plugin_name, Owner()).builtin, i.plugin_name),
    )
    registry.ownership.loading = True
    try:
        for impl in impls:
            registry.ownership.current = _OWNERS.get(impl.plugin_name, Owner(impl.plugin_name))
            try:
                impl.function(registry=registry)
            except BaseException as exc:  # noqa: BLE001 - reported as a warning naming the plugin
                _skip(f"nx5d plugin {impl.plugin_name!r} raised in {hook_name}", exc)
    finally:
        registry.ownership.loading = False
        registry.ownership.current = Owner()


@functools.lru_cache(maxsize=1)
def load_registry() -> AdapterRegistry:
    """Load every plugin once and return the filled adapter registry (cached)."""
    registry = AdapterRegistry()
    _call_each(get_plugin_manager(), "nx5d_register_adapters", registry=registry)
    registry.disabled = dict(_DISABLED)
    return registry


_REFRESH: list[Callable[[], None]] = []


def fill(hook_name: str, registry: R) -> R:
    """Call every plugin's ``hook_name(registry=...)``, each on its own (one that raises is
    named in a warning and skipped, the others still register); return ``registry``."""
    _call_each(get_plugin_manager(), hook_name, registry=registry)
    return registry


def cached_registry(load: Callable[[], R]) -> Callable[[], R]:
    """``load`` run once and cached until :func:`refresh_plugins`: how each registry's own
    module (recipes, spice types) loads itself through :func:`fill`."""
    cached = functools.lru_cache(maxsize=1)(load)
    _REFRESH.append(cached.cache_clear)
    return cached


def skip_plugin(what: str, exc: BaseException) -> None:
    """Report a plugin contribution that is skipped (a warning naming it); never swallow Ctrl-C."""
    _skip(what, exc)


class _Generation:
    count = 0


def plugins_generation() -> int:
    """How often :func:`refresh_plugins` ran: worker processes started before a change are stale."""
    return _Generation.count


def refresh_plugins() -> None:
    """Forget what was discovered, so the next use re-reads the entry points."""
    _Generation.count += 1
    load_registry.cache_clear()
    for clear in _REFRESH:
        clear()
    _OWNERS.clear()
    _DISABLED.clear()


def list_adapters() -> list[AdapterInfo]:
    """Every installed adapter, sorted by name."""
    view = load_registry().view()
    return [view[name] for name in sorted(view)]


def get_adapter(name: str) -> AdapterInfo:
    """The adapter called ``name``; the error lists the installed ones."""
    return load_registry()[name]


def __getattr__(name: str) -> Any:
    """``load_recipes`` and ``load_spice_types`` live next to their registries now; kept here
    for code that imported them from this module."""
    if name == "load_recipes":
        from .recipes import load_recipes

        return load_recipes
    if name == "load_spice_types":
        from .spice.types import load_spice_types

        return load_spice_types
    raise AttributeError(name)
