"""``open_repository``: from a URL (and optionally an adapter name) to a Repository."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AdapterGuessError
from .folder_guess import shared_listings
from .plugins import load_registry

if TYPE_CHECKING:
    from .registry import AdapterInfo
    from .repository import Repository
    from .spice.backend import SpiceSpec

__all__ = ["open_repository"]
logger = logging.getLogger(__name__)


def _claims(info: AdapterInfo, url: str) -> bool:
    """``guess_can_open`` guarded: an adapter whose guess raises is named and left out."""
    try:
        return info.guess_can_open(url)
    except Exception as exc:  # noqa: BLE001 - one broken plugin must not break opening for all
        warnings.warn(
            f"adapter {info.name!r} ({info.distribution}) raised in guess_can_open({url!r}) and "
            f"is left out of the guess: {type(exc).__name__}: {exc}",
            RuntimeWarning,
            stacklevel=3,
        )
        return False


def open_repository(
    url: str,
    *,
    adapter: str | None = None,
    spice: SpiceSpec = None,
    allow_outside: Iterable[str | os.PathLike[str]] = (),
    index: bool | str | os.PathLike[str] | None = None,
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
    allow_outside
        Folders outside the repository root that links may lead to and that may be read all
        the same (detector files kept elsewhere). Nothing else outside the root is read.
    index
        The summary index file (:mod:`nx5d_core.index`): ``None`` for ``$NX5D_INDEX`` or the
        user cache, a path, or ``False`` to read every summary each time.
    **options
        Adapter-specific options, validated against the adapter's declared options
        (:mod:`nx5d_core.options`) and passed to its constructor.

    Raises
    ------
    AdapterNotFoundError
        ``adapter`` is not installed (the message lists the installed ones).
    AdapterGuessError
        No adapter, or several, claim ``url``.
    AdapterOptionError
        An option the adapter does not have (the message lists its options) or a wrong value.
    """
    registry = load_registry()
    if adapter is not None:
        cls = registry[adapter].cls
    else:
        with shared_listings():  # the adapters' guesses look into the same folders
            candidates = [info for info in registry.view().values() if _claims(info, url)]
        specific = [info for info in candidates if not info.generic]
        if len(candidates) > 1 and len(specific) == 1:
            candidates = specific  # a facility's layout over a reader of its files' format
        if len(candidates) != 1:
            listing = "; ".join(
                f"{i.name} ({', '.join(i.url_patterns) or 'no patterns'})"
                for i in registry.view().values()
            )
            if candidates:
                names = ", ".join(sorted(i.name for i in candidates))
                msg = f"several adapters can open {url!r}: {names}; choose one with adapter=..."
            else:
                held = _what_a_folder_holds(url)
                names = ", ".join(sorted(registry.view())) or "none"
                local = Path(url.removeprefix("file://"))
                if "{" not in url and "://" not in url.removeprefix("file://") and local.exists():
                    # a real file or folder: its format is not one we read; say so briefly
                    msg = (
                        f"no installed adapter recognises {url!r}{held}: its format is not "
                        f"supported (installed: {names}). To read it, write an adapter "
                        "(docs/write-an-adapter.md); to force one, pass adapter=NAME"
                    )
                else:
                    msg = f"no installed adapter recognises {url!r}{held}; pass adapter=... Installed: {listing or 'none'}"  # fmt: skip
            raise AdapterGuessError(msg)
        cls = candidates[0].cls
        logger.info("opening %r with adapter %r", url, cls.name)
    extra = {"allow_outside": list(allow_outside)} if allow_outside else {}
    repository = cls(url, spice=spice, **options, **extra)  # options checked by the class
    if index is not None:
        repository.use_index(index)
    return repository


def _what_a_folder_holds(url: str) -> str:
    """`` (a folder holding: a/ 3 .h5; b/ 1 .dat ...)`` for a local folder, else ``""``: so that
    a folder of several formats is seen as such (an adapter claims one layout, not a mixture)."""
    from collections import Counter
    from pathlib import Path

    path = Path(url.removeprefix("file://"))
    if "://" in str(path) or not path.is_dir():
        return ""

    def kinds(folder: Path) -> str:
        found = Counter(p.suffix or "(no suffix)" for p in folder.iterdir() if p.is_file())
        return ", ".join(f"{n} {suffix}" for suffix, n in found.most_common(3))

    try:
        listed = sorted(path.iterdir())[:12]
        parts = [f"files {kinds(path)}"] if any(p.is_file() for p in listed) else []
        parts += [f"{p.name}/ {kinds(p) or 'no files'}" for p in listed if p.is_dir()][:6]
    except OSError:
        return ""
    if not parts:
        return ""
    return f" (a folder holding: {'; '.join(parts)}: one adapter reads one layout, name a part of it)"  # fmt: skip
