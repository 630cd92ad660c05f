"""What nx5d knows of the FIO adapter before importing it: name, description, patterns, and a
guess by content (``!`` comment lines, then ``%c``/``%p``/``%d`` sections), not by name only."""

from __future__ import annotations

import re
from pathlib import Path

from nx5d_core.folder_guess import guess_folder, member_names

NAME = "fio"
DESCRIPTION = "PETRA III FIO files: a folder is a proposal, each .fio file a scan (detector frames from its sibling folder)."  # fmt: skip
URL_PATTERNS = ("<a .fio file or a folder of them, recognised by their %c/%p/%d sections>",)
VERSION = "0.1.0"

_SECTION = re.compile(rb"^\s*%[cpd]\s*$", re.MULTILINE)


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
    return member_names(folder, is_fio, limit=limit)


def guess_can_open(url: str) -> bool:
    """A FIO file, a folder of FIO files, or a folder of such folders."""
    return guess_folder(url, is_fio)
