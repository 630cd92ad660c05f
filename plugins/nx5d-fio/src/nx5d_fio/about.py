"""What nx5d knows of the FIO adapter before importing it: name, description, patterns, and a
guess by content (``!`` comment lines, then ``%c``/``%p``/``%d`` sections), not by name only."""

from __future__ import annotations

import os
import re
from pathlib import Path

NAME = "fio"
DESCRIPTION = "PETRA III FIO files: a folder is a proposal, each .fio file a scan (detector frames from its sibling folder)."  # fmt: skip
URL_PATTERNS = ("<a .fio file or a folder of them, recognised by their %c/%p/%d sections>",)
VERSION = "0.1.0"

_SECTION = re.compile(rb"^\s*%[cpd]\s*$", re.MULTILINE)
_SAMPLE = 50


def is_fio(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts like a FIO file (comments and sections)."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as stream:
            head = stream.read(4096)
    except OSError:
        return False
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    if not lines or not lines[0].startswith((b"!", b"%")):
        return False
    sections = {m.group().strip() for m in _SECTION.finditer(head)}
    return b"%d" in sections or (b"%c" in sections and b"%p" in sections)


def fio_files(folder: Path, *, limit: int | None = None) -> list[str]:
    """Names of the FIO files in ``folder`` (hidden files left out), at most ``limit`` looked at."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_file())
    except OSError:
        return []
    return [n for n in names[:limit] if is_fio(folder / n)]


def guess_can_open(url: str) -> bool:
    """A FIO file, a folder of FIO files, or a folder of such folders."""
    if "{" in url or "://" in url.removeprefix("file://"):
        return False
    path = Path(url.removeprefix("file://"))
    if path.is_file():
        return is_fio(path)
    if not path.is_dir():
        return False
    if fio_files(path, limit=_SAMPLE):
        return True
    try:
        with os.scandir(path) as entries:
            folders = sorted(Path(e.path) for e in entries if e.is_dir() and not e.name.startswith("."))  # fmt: skip
    except OSError:
        return False
    return any(fio_files(f, limit=_SAMPLE) for f in folders[:_SAMPLE])
