"""A line index of one SPEC file: where each ``#S`` scan and each file header block lies.

Indexing reads the whole file once (``.gz`` and ``.bz2`` decompressed, CRLF and CR line ends
made LF) and finds the ``#S`` lines with one regular-expression pass; nothing else is parsed
until a scan is asked for. A ``#S`` number used twice in one file gives keys ``N``, ``N.2``,
``N.3``... in file order.

Header blocks (``#F``/``#E``/``#D``/``#O``... lines outside scans) may appear at the top and
again between scans; each scan uses the block in force where it starts.
"""

from __future__ import annotations

import bisect
import bz2
import gzip
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nx5d_core.errors import KeyNotFoundError
from nx5d_core.paths import FileIdentity, file_identity, open_regular

from .errors import SpecFormatError

__all__ = ["HeaderBlock", "ScanEntry", "SpecIndex", "looks_like_spec", "read_index"]

_NUMBER = re.compile(rb"#S[ \t]+(\S+)")
_SNIFF = re.compile(rb"^#[SFE][ \t]", re.MULTILINE)


@dataclass(frozen=True)
class HeaderBlock:
    """Lines of one file header block (``#F``, ``#E``, ``#D``, ``#C``, ``#O``, ``#J``...)."""

    start: int
    end: int


@dataclass(frozen=True)
class ScanEntry:
    """One ``#S`` scan: its key, its ``#S`` number, its bytes and the header block in force."""

    key: str
    number: str
    start: int
    end: int
    header: int | None


@dataclass
class SpecIndex:
    """The scans and header blocks of one file, with its text (LF line ends) and identity."""

    path: Path
    text: bytes
    identity: FileIdentity
    scans: list[ScanEntry] = field(default_factory=list)
    headers: list[HeaderBlock] = field(default_factory=list)
    _newlines: Any = None
    _asked: int = 0

    def line_of(self, offset: int) -> int:
        """The 1-based line number of a byte offset: counted for the first few asks, then from
        an array of newline offsets made once (summaries of every scan ask for all of them)."""
        self._asked += 1
        if self._newlines is None and self._asked <= 4:
            return self.text.count(b"\n", 0, offset) + 1
        import numpy as np

        if self._newlines is None:
            self._newlines = np.flatnonzero(np.frombuffer(self.text, np.uint8) == 10)
        return int(np.searchsorted(self._newlines, offset)) + 1

    def keys(self) -> list[str]:
        """Scan keys in file order."""
        return [s.key for s in self.scans]

    def scan(self, key: str) -> ScanEntry:
        """The entry of scan ``key``.

        Raises
        ------
        KeyNotFoundError
            (a ``KeyError``) naming the file and its closest scans: the scan is not (or no
            longer: the file was replaced) in the file.
        """
        for entry in self.scans:
            if entry.key == key:
                return entry
        raise KeyNotFoundError(key, kind="scan", where=str(self.path), candidates=self.keys())

    def lines(self, start: int, end: int) -> list[bytes]:
        """The lines between two byte offsets."""
        return self.text[start:end].split(b"\n")


MAX_TEXT_BYTES = 2 * 1024**3
"""The most a compressed SPEC file may decompress to (real ones hold at most a few hundred MB)."""
_PIECE = 64 * 1024 * 1024


def _decompress(path: Path, raw: bytes) -> bytes:
    name = path.name.lower()
    try:
        if name.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            return _bounded(path, raw, lambda: zlib.decompressobj(wbits=31))
        if name.endswith(".bz2") or raw[:3] == b"BZh":
            return _bounded(path, raw, bz2.BZ2Decompressor)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        msg = f"{path}: compressed file cannot be decompressed: {exc}"
        raise SpecFormatError(msg) from exc
    return raw


def _bounded(path: Path, raw: bytes, decompressor: Any) -> bytes:
    """Every member of ``raw`` decompressed, never more than :data:`MAX_TEXT_BYTES` (a
    compression bomb is refused before it fills the memory)."""
    pieces: list[bytes] = []
    size = 0
    data = raw
    while data:
        unpack = decompressor()
        pending = data
        while not unpack.eof:
            piece = unpack.decompress(pending, _PIECE)
            size += len(piece)
            if size > MAX_TEXT_BYTES:
                msg = (
                    f"{path}: decompresses to more than {MAX_TEXT_BYTES // 2**20} MiB "
                    f"({len(raw)} bytes on disk): refused, it is no SPEC file a writer makes"
                )
                raise SpecFormatError(msg)
            pieces.append(piece)
            pending = getattr(unpack, "unconsumed_tail", b"")
            if not piece and not pending and getattr(unpack, "needs_input", True):
                msg = "compressed file ended before the end-of-stream marker"
                raise EOFError(msg)
        data = unpack.unused_data
    return b"".join(pieces)


def read_bytes(path: Path) -> tuple[bytes, FileIdentity]:
    """The file's text with LF line ends, and its identity (never blocks on a FIFO)."""
    fd = open_regular(path, what="a SPEC file")
    try:
        identity = file_identity(os.fstat(fd))
        raw = os.pread(fd, identity[1], 0)
        while len(raw) < identity[1]:  # a short read: go on where it stopped
            more = os.pread(fd, identity[1] - len(raw), len(raw))
            if not more:
                break
            raw += more
    finally:
        os.close(fd)
    return normalised(path, raw), identity


def normalised(path: Path, raw: bytes) -> bytes:
    """The file's bytes decompressed (gzip, bzip2) with LF line ends."""
    text = _decompress(path, raw)
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return text


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


_MARKS = re.compile(rb"#(S|F|E|O0|J0)")


def _line_starts(text: bytes) -> dict[bytes, list[int]]:
    """Offsets of the lines starting ``#S``, ``#F``, ``#E``, ``#O0`` or ``#J0``, in one pass."""
    out: dict[bytes, list[int]] = {b"S": [], b"F": [], b"E": [], b"O0": [], b"J0": []}
    for found in _MARKS.finditer(text):
        pos = found.start()
        if pos == 0 or text[pos - 1] == 10:
            out[found.group(1)].append(pos)
    return out


def _header_blocks(
    text: bytes, starts: list[int], marks: dict[bytes, list[int]]
) -> list[HeaderBlock]:
    """Header blocks: before the first scan, and after the blank line that ends a scan."""
    candidates = sorted({p for token in (b"F", b"E", b"O0", b"J0") for p in marks[token]})
    blocks: list[HeaderBlock] = []
    for pos in candidates:
        k = bisect.bisect_right(starts, pos) - 1  # the scan this line follows, if any
        end = starts[k + 1] if k + 1 < len(starts) else len(text)
        if blocks and blocks[-1].end == end:
            continue  # already inside this gap's block
        if k >= 0 and text.find(b"\n\n", starts[k], pos) < 0:
            continue  # inside a scan (an #O line of its own), not a file header
        blocks.append(HeaderBlock(pos, end))
    return blocks


def _scan_lines(text: bytes, marks: dict[bytes, list[int]]) -> list[tuple[int, bytes]]:
    """(offset, number) of every ``#S`` line."""
    out = []
    for start in marks[b"S"]:
        found = _NUMBER.match(text, start)
        if found is not None:
            out.append((start, found.group(1)))
    return out


def read_index(path: Path, *, content: tuple[bytes, FileIdentity] | None = None) -> SpecIndex:
    """Index ``path`` (or ``content``: its raw bytes and identity, fetched from a remote file
    system); raise :class:`SpecFormatError` if it holds no ``#S`` scan at all."""
    if content is None:
        text, identity = read_bytes(path)
    else:
        text, identity = normalised(path, content[0]), content[1]
    marks = _line_starts(text)
    matches = _scan_lines(text, marks)
    if not matches:
        kind = "empty" if not text.strip() else "has no '#S' scan line"
        msg = f"{path}: not a SPEC file with scans ({kind})"
        raise SpecFormatError(msg)
    starts = [start for start, _ in matches]
    headers = _header_blocks(text, starts, marks)
    scans: list[ScanEntry] = []
    used: dict[str, int] = {}
    header_i, h = None, 0
    for i, (start, raw_number) in enumerate(matches):
        while h < len(headers) and headers[h].start < start:
            header_i, h = h, h + 1
        number = raw_number.decode("latin-1")
        used[number] = used.get(number, 0) + 1
        key = number if used[number] == 1 else f"{number}.{used[number]}"
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        scans.append(ScanEntry(key, number, start, end, header_i))
    return SpecIndex(path=path, text=text, identity=identity, scans=scans, headers=headers)
