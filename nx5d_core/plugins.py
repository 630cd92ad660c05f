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
from .ownership import BUILTIN_PACKAGES, Owner
from .registry import AdapterInfo, AdapterRegistry

if TYPE_CHECKING:
    from .recipes import RecipeRegistry
    from .spice.types import SpiceTypeRegistry

__all__ = [
    "ENTRY_POINT_GROUP",
    "get_adapter",
    "get_plugin_manager",
    "list_adapters",
    "load_recipes",
    "load_registry",
    "load_spice_types",
    "refresh_plugins",
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
    registry: AdapterRegistry | SpiceTypeRegistry | RecipeRegistry,
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


@functools.lru_cache(maxsize=1)
def load_spice_types() -> SpiceTypeRegistry:
    """Load every plugin once and return the spice type registry (cached)."""
    from .spice.types import SpiceTypeRegistry

    registry = SpiceTypeRegistry()
    _call_each(get_plugin_manager(), "nx5d_register_spice_types", registry=registry)
    registry.ownership.loading = True  # a recipe's model is the spice type of its name
    try:
        for name, recipe in load_recipes().view().items():
            registry.ownership.current = recipe.owner
            try:
                registry.add(name, recipe.model)
            except BaseException as exc:  # noqa: BLE001 - reported, the other types stay
                _skip(
                    f"the spice type of recipe {name!r} ({recipe.owner}) could not be registered",
                    exc,
                )
    finally:
        registry.ownership.loading = False
        registry.ownership.current = Owner()
    return registry


@functools.lru_cache(maxsize=1)
def load_recipes() -> RecipeRegistry:
    """Load every plugin once and return the recipe registry (cached)."""
    from .recipes import RecipeRegistry

    registry = RecipeRegistry()
    _call_each(get_plugin_manager(), "nx5d_register_recipes", registry=registry)
    return registry


def refresh_plugins() -> None:
    """Forget what was discovered, so the next use re-reads the entry points."""
    load_registry.cache_clear()
    load_spice_types.cache_clear()
    load_recipes.cache_clear()
    _OWNERS.clear()
    _DISABLED.clear()


def list_adapters() -> list[AdapterInfo]:
    """Every installed adapter, sorted by name."""
    view = load_registry().view()
    return [view[name] for name in sorted(view)]


def get_adapter(name: str) -> AdapterInfo:
    """The adapter called ``name``; the error lists the installed ones."""
    return load_registry()[name]
