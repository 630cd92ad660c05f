"""A line index of one SPEC file: where each ``#S`` scan and each file header block lies.

Indexing reads the whole file once (``.gz`` and ``.bz2`` decompressed, CRLF and CR line ends
made LF) and finds the ``#S`` lines with one regular-expression pass; nothing else is parsed
until a scan is asked for. A ``#S`` number used twice in one file gives keys ``N``, ``N.2``,
``N.3``... in file order.

Header blocks (``#F``/``#E``/``#D``/``#O``... lines outside scans) may appear at the top and
again between scans; each scan uses the block in force where it starts.
"""

from __future__ import annotations

import bz2
import gzip
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from nx5d_core.paths import FileIdentity, file_identity, open_regular

from .errors import SpecFormatError

__all__ = ["HeaderBlock", "ScanEntry", "SpecIndex", "looks_like_spec", "read_index"]

_SCAN = re.compile(rb"^#S[ \t]+(\S+)[^\n]*", re.MULTILINE)
_HEADER_START = re.compile(rb"^#(F|E|O0|J0)[ \t\d]", re.MULTILINE)
_SNIFF = re.compile(rb"^#[SFE][ \t]", re.MULTILINE)


@dataclass(frozen=True)
class HeaderBlock:
    """Lines of one file header block (``#F``, ``#E``, ``#D``, ``#C``, ``#O``, ``#J``...)."""

    start: int
    end: int
    line: int


@dataclass(frozen=True)
class ScanEntry:
    """One ``#S`` scan: its key, its ``#S`` number, its bytes and the header block in force."""

    key: str
    number: str
    start: int
    end: int
    line: int
    header: int | None


@dataclass
class SpecIndex:
    """The scans and header blocks of one file, with its text (LF line ends) and identity."""

    path: Path
    text: bytes
    identity: FileIdentity
    scans: list[ScanEntry] = field(default_factory=list)
    headers: list[HeaderBlock] = field(default_factory=list)

    def keys(self) -> list[str]:
        """Scan keys in file order."""
        return [s.key for s in self.scans]

    def scan(self, key: str) -> ScanEntry:
        """The entry of scan ``key`` (``KeyError`` if absent)."""
        for entry in self.scans:
            if entry.key == key:
                return entry
        raise KeyError(key)

    def lines(self, start: int, end: int) -> list[bytes]:
        """The lines between two byte offsets."""
        return self.text[start:end].split(b"\n")


def _decompress(path: Path, raw: bytes) -> bytes:
    name = path.name.lower()
    try:
        if name.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        if name.endswith(".bz2") or raw[:3] == b"BZh":
            return bz2.decompress(raw)
    except (OSError, EOFError, ValueError) as exc:
        msg = f"{path}: compressed file cannot be decompressed: {exc}"
        raise SpecFormatError(msg) from exc
    return raw


def read_bytes(path: Path) -> tuple[bytes, FileIdentity]:
    """The file's text with LF line ends, and its identity (never blocks on a FIFO)."""
    fd = open_regular(path, what="a SPEC file")
    try:
        identity = file_identity(os.fstat(fd))
        with os.fdopen(os.dup(fd), "rb") as stream:
            raw = stream.read()
    finally:
        os.close(fd)
    text = _decompress(path, raw)
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return text, identity


def looks_like_spec(head: bytes) -> bool:
    """Whether the first bytes of a file look like SPEC (``#F``, ``#E`` or ``#S`` lines)."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = gzip.GzipFile(fileobj=__import__("io").BytesIO(head)).read(4096)
        except (OSError, EOFError):
            return False
    elif head[:3] == b"BZh":
        try:
            head = bz2.BZ2Decompressor().decompress(head)[:4096]
        except (OSError, ValueError):
            return False
    return b"\x00" not in head[:4096] and _SNIFF.search(head[:4096]) is not None


def _header_blocks(text: bytes, starts: list[int]) -> list[HeaderBlock]:
    """Header blocks: before the first scan, and in the gaps after a scan's blank line."""
    bounds = [0, *starts]
    ends = [*starts, len(text)]
    blocks = []
    for i, (lo, hi) in enumerate(zip(bounds, ends, strict=True)):
        if i == 0:
            region_start = 0
        else:
            blank = text.find(b"\n\n", lo, hi)
            if blank < 0:
                continue
            region_start = blank + 2
        found = _HEADER_START.search(text, region_start, hi)
        if found is not None:
            blocks.append(HeaderBlock(found.start(), hi, 0))
    return blocks


def read_index(path: Path) -> SpecIndex:
    """Index ``path``; raise :class:`SpecFormatError` if it holds no ``#S`` scan at all."""
    text, identity = read_bytes(path)
    matches = list(_SCAN.finditer(text))
    if not matches:
        kind = "empty" if not text.strip() else "has no '#S' scan line"
        msg = f"{path}: not a SPEC file with scans ({kind})"
        raise SpecFormatError(msg)
    starts = [m.start() for m in matches]
    headers = _header_blocks(text, starts)
    scans, used, line, last = [], {}, 1, 0
    header_i, h = None, 0
    for i, found in enumerate(matches):
        line += text.count(b"\n", last, found.start())
        last = found.start()
        while h < len(headers) and headers[h].start < found.start():
            header_i, h = h, h + 1
        number = found.group(1).decode("latin-1")
        used[number] = used.get(number, 0) + 1
        key = number if used[number] == 1 else f"{number}.{used[number]}"
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        scans.append(ScanEntry(key, number, found.start(), end, line, header_i))
    lines_of = {}
    for block in headers:  # line numbers of header blocks, for messages
        lines_of[block.start] = text.count(b"\n", 0, block.start) + 1
    headers = [HeaderBlock(b.start, b.end, lines_of[b.start]) for b in headers]
    return SpecIndex(path=path, text=text, identity=identity, scans=scans, headers=headers)
