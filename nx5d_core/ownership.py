"""Who may hold a registered name: built-in plugins keep theirs; two third parties share none.

Both registries (adapters, spice types) settle a second registration of a name here, so the
rules are the same for every kind of name.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

__all__ = ["BUILTIN_PACKAGES", "Owner", "Ownership"]

BUILTIN_PACKAGES = {
    "nx5d-core": "nx5d_core",
    "nx5d-memory": "nx5d_memory",
    "nx5d-udkm": "nx5d_udkm",
    "nx5d-hdf5": "nx5d_hdf5",
    "nx5d-spec": "nx5d_spec",
    "nx5d-recipes": "nx5d_recipes",
}
"""Distributions shipped with nx5d_core and the package each one must provide its plugin from."""


@dataclass(frozen=True)
class Owner:
    """The distribution that registered a name (``"name version"``) and whether it is built in."""

    distribution: str = "unknown"
    builtin: bool = False

    def __str__(self) -> str:
        return f"{'built-in ' if self.builtin else ''}{self.distribution}"


@dataclass
class Ownership:
    """The owner being loaded now, and the names two third parties both claimed."""

    current: Owner = field(default_factory=Owner)
    loading: bool = False
    contested: dict[str, list[str]] = field(default_factory=dict)

    def settle(
        self, *, kind: str, name: str, old: Owner, overwrite: bool, error: type[Exception]
    ) -> bool:
        """Whether the current owner's registration of ``name`` replaces ``old``'s.

        Outside plugin loading a clash raises ``error`` unless ``overwrite``. While loading: a
        built-in keeps its name against a third party (warning naming the offender); two third
        parties with one name lose it both (warning; asking for it later lists both).
        """
        new = self.current
        if old.builtin and not new.builtin:
            warnings.warn(
                f"{kind} name {name!r} is registered twice: by {old} and by {new}; the built-in "
                f"keeps it and {new.distribution}'s registration is ignored",
                RuntimeWarning,
                stacklevel=4,
            )
            return False
        if new.builtin and not old.builtin:  # e.g. a recipe's spice type, added after the hooks
            warnings.warn(
                f"{kind} name {name!r} is registered twice: by {old} and by {new}; the built-in "
                f"keeps it and {old.distribution}'s registration is ignored",
                RuntimeWarning,
                stacklevel=4,
            )
            return True
        if overwrite:
            return True
        if not self.loading:
            msg = (
                f"{kind} name {name!r} is registered twice: by {old.distribution} and by "
                f"{new.distribution}; pass overwrite=True to replace"
            )
            raise error(msg)
        self.contested.setdefault(name, [old.distribution]).append(new.distribution)
        warnings.warn(
            f"{kind} name {name!r} is registered twice: by {old} and by {new}; neither is used "
            "until one of them is uninstalled or disabled (NX5D_DISABLED_PLUGINS)",
            RuntimeWarning,
            stacklevel=4,
        )
        return False

    def contested_message(self, *, kind: str, name: str) -> str | None:
        """Why ``name`` is not available, if two third parties claimed it."""
        owners = self.contested.get(name)
        if owners is None:
            return None
        return (
            f"{kind} name {name!r} is claimed by several plugins ({', '.join(owners)}), so none "
            "of them is used; uninstall or disable (NX5D_DISABLED_PLUGINS) all but one"
        )
