"""Keys as served (the characters that would end a URL path segment percent-encoded), and the
spellings of the repository root that served text must not show."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["OUTSIDE", "framework_key", "outside_paths", "root_spellings", "served_key"]

_RESERVED = {"%": "%25", "#": "%23", "?": "%3F", "/": "%2F"}


def served_key(key: str) -> str:
    """A key as served: ``%``, ``#``, ``?`` and ``/`` percent-encoded (they would end a URL path
    segment, and tiled builds links from keys as they are); spaces and non-ASCII stay."""
    return "".join(_RESERVED.get(c, c) for c in key)


def framework_key(served: str) -> str:
    """The inverse of :func:`served_key`."""
    return re.sub("%(25|23|3[Ff]|2[Ff])", lambda m: bytes.fromhex(m.group(1)).decode(), served)


def root_spellings(root: str, url: str) -> list[str]:
    """The ways a local root may appear in text: resolved, and as the URL gave it (a symlinked
    mount such as /data -> /gpfs/data shows in file names the adapters report)."""
    found = {root.rstrip("/")}
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        text = (parsed.path if parsed.scheme == "file" else url).split("{", 1)[0].split("#", 1)[0]
        given = os.path.normpath(Path.cwd() / text) if text else ""
        if given and Path(given).is_file():
            given = str(Path(given).parent)
        for spelling in (given, os.path.realpath(given) if given else ""):
            if spelling and spelling != "/":
                found.add(spelling.rstrip("/"))
    return sorted(found, key=len, reverse=True)


OUTSIDE = "<outside the repository root>"


def outside_paths() -> re.Pattern[str]:
    """Absolute paths into this machine's top-level folders (``/etc/...``, ``/home/...``), as
    whole tokens: what is left of a server path once the root's spellings are hidden (a link
    target outside the root, another mount). HDF5 paths such as ``/entry/data`` are kept unless
    their first name is also a top-level folder here."""
    try:
        tops = sorted((e.name for e in os.scandir("/") if e.is_dir()), key=len, reverse=True)
    except OSError:
        tops = []
    if not tops:
        return re.compile(r"(?!x)x")  # matches nothing
    names = "|".join(re.escape(t) for t in tops)
    return re.compile(rf"(?<![\w.:/\-])/(?:{names})(?![\w.\-])(?:/[^\s'\":,;()\[\]{{}}<>]*)?")
