"""``open_repository``: from a URL (and optionally an adapter name) to a Repository."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from .errors import AdapterGuessError
from .plugins import load_registry

if TYPE_CHECKING:
    from .repository import Repository
    from .spice.store import SpiceStore

__all__ = ["open_repository"]
logger = logging.getLogger(__name__)


def open_repository(
    url: str,
    *,
    adapter: str | None = None,
    spice: SpiceStore | str | os.PathLike[str] | None = None,
    **options: Any,
) -> Repository:
    """Open the repository at ``url``.

    Parameters
    ----------
    url
        A URL pattern or root the adapter understands (see ``nx5d adapters``).
    adapter
        Adapter name; guessed from ``url`` with each adapter's ``guess_can_open`` when omitted.
    spice
        Spice store (object, path or ``sqlite:///`` URL); ``None`` for an empty in-memory one.
    **options
        Adapter-specific keyword options, passed to the adapter's constructor.

    Raises
    ------
    AdapterNotFoundError
        ``adapter`` is not installed (the message lists the installed ones).
    AdapterGuessError
        No adapter, or several, claim ``url``.
    """
    registry = load_registry()
    if adapter is not None:
        cls = registry[adapter].cls
    else:
        candidates = [info for info in registry.view().values() if info.cls.guess_can_open(url)]
        if len(candidates) != 1:
            listing = "; ".join(
                f"{i.name} ({', '.join(i.url_patterns) or 'no patterns'})"
                for i in registry.view().values()
            )
            if candidates:
                names = ", ".join(sorted(i.name for i in candidates))
                msg = f"several adapters can open {url!r}: {names}; choose one with adapter=..."
            else:
                msg = f"no installed adapter recognises {url!r}; pass adapter=... Installed: {listing or 'none'}"
            raise AdapterGuessError(msg)
        cls = candidates[0].cls
        logger.info("opening %r with adapter %r", url, cls.name)
    return cls(url, spice=spice, **options)
