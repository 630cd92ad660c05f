"""Cache keys and provenance of cooked results: what made a result, and when it is the same."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scan import Scan
    from .spice.view import SpiceView

from .options import data_options

__all__ = ["cook_key", "provenance_attrs"]


def cook_key(
    *, scan: Scan, view: SpiceView, files: str | None = None, recipe: str | None = None
) -> str:
    """Hash of (repository, proposal, scan key, spice view, adapter name and version, files,
    recipe name and version).

    ``files`` is the digest of the scan's file fingerprint: changed files give a fresh cook.
    """
    repo = scan.repository
    name = recipe or scan.default_recipe
    parts: dict[str, Any] = {
        "repository": repo.url,
        "proposal": scan.proposal.key,
        "scan": scan.key,
        "adapter": repo.name,
        "adapter_version": repo.version,
        "spice": view.fingerprint(),
        "files": files,
        "options": data_options(repo),
    }
    if name is not None:
        from .recipes import load_recipes

        parts["recipe"] = [recipe is not None, name, load_recipes()[name].version]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def provenance_attrs(*, scan: Scan, view: SpiceView, key: str) -> dict[str, str]:
    """Attributes naming what made a cooked result (strings, so NeXus/NetCDF can store them)."""
    repo = scan.repository
    own = {k: str(v) for k, v in scan._provenance().items() if k.startswith("nx5d_")}
    return {
        **own,
        "nx5d_scan": scan.key,
        "nx5d_proposal": scan.proposal.key,
        "nx5d_repository": repo.url,
        "nx5d_adapter": repo.name,
        "nx5d_adapter_version": repo.version,
        "nx5d_spice": json.dumps(view.provenance(), sort_keys=True),
        "nx5d_spice_store": repo.spice_store.display,
        "nx5d_options": json.dumps(data_options(repo), sort_keys=True),
        "nx5d_cook_key": key,
    }
