"""One SPEC scan block, split into its kinds of lines without converting any data.

The scan's own lines run from ``#S`` to the first blank line (or the next ``#S``). Data lines
are kept as bytes with their line numbers; ``@A``/``@A1``... spectra are joined over their
``\\`` continuation lines and attached to the data point that follows them; an abort comment
glued onto the last data line is split off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from .index import HeaderBlock, ScanEntry, SpecIndex

__all__ = [
    "Block",
    "Header",
    "naive_date",
    "parse_date",
    "read_block",
    "read_header",
    "writer_zone",
]

_MCA = re.compile(rb"^@(A\d*)\s")
_GLUED = re.compile(rb"#C\b")


@dataclass
class Header:
    """A file header block: motor names (``#O``), counter names (``#J``), text lines."""

    motors: list[str] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Block:
    """The lines of one scan, sorted by kind."""

    command: str
    line: int
    header_lines: dict[str, list[str]] = field(default_factory=dict)
    """``#X`` lines by tag (``D``, ``T``, ``G0``, ``P0``, ``N``, ``L``, ``UB``, ``@CHANN``...)."""
    comments: list[str] = field(default_factory=list)
    data: list[tuple[int, bytes]] = field(default_factory=list)
    """(line number, text) of each data line."""
    spectra: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    """MCA name (``A``, ``A1``...) -> (data point index, joined text), in file order."""
    notes: list[str] = field(default_factory=list)

    def first(self, tag: str) -> str | None:
        """The first ``#tag`` line's text, or ``None``."""
        found = self.header_lines.get(tag)
        return found[0] if found else None


def _split(line: bytes) -> tuple[str, str]:
    text = line.decode("latin-1")
    tag, _, rest = text[1:].partition(" ")
    if "\t" in tag:
        tag, _, more = tag.partition("\t")
        rest = more + " " + rest
    return tag, rest.strip()


def read_header(index: SpecIndex, block: HeaderBlock | None) -> Header:
    """Motor names and text lines of a file header block (an empty one for ``None``)."""
    header = Header()
    if block is None:
        return header
    for line in index.lines(block.start, block.end):
        if not line.startswith(b"#"):
            continue
        tag, rest = _split(line)
        header.lines.setdefault(tag, []).append(rest)
    header.motors = _names(header.lines, "O")
    return header


def _names(lines: dict[str, list[str]], letter: str) -> list[str]:
    """Names from ``#O0``, ``#O1``... lines: separated by two spaces or a tab (names may hold
    one space; APS 8-ID writes ``si6b\tsi6t``)."""
    out: list[str] = []
    n = 0
    while f"{letter}{n}" in lines:
        text = lines[f"{letter}{n}"][-1]
        out.extend(p.strip() for p in re.split(r"\s*\t\s*|\s{2,}", text.strip()) if p.strip())
        n += 1
    return out


def read_block(index: SpecIndex, entry: ScanEntry) -> Block:
    """Sort the lines of scan ``entry``; no number is converted."""
    lines = index.lines(entry.start, entry.end)
    command = lines[0].decode("latin-1")[2:].strip()
    line = index.line_of(entry.start)
    block = Block(command=command, line=line)
    pending: tuple[str, list[bytes]] | None = None
    number = line
    for raw in lines[1:]:
        number += 1
        if pending is not None:  # an @A spectrum continued with a trailing backslash
            pending[1].append(raw.rstrip(b"\\ "))
            if not raw.rstrip().endswith(b"\\"):
                block.spectra.setdefault(pending[0], []).append(
                    (len(block.data), b" ".join(pending[1]))
                )
                pending = None
            continue
        stripped = raw.strip()
        if not stripped:
            if block.data or block.header_lines.get("L"):
                break  # the blank line that ends the scan
            continue
        if stripped.startswith(b"#"):
            tag, rest = _split(stripped)
            if tag == "C":
                block.comments.append(rest)
            else:
                block.header_lines.setdefault(tag, []).append(rest)
            continue
        mca = _MCA.match(stripped)
        if mca is not None:
            body = stripped[mca.end() :]
            name = mca.group(1).decode()
            if body.rstrip().endswith(b"\\"):
                pending = (name, [body.rstrip(b"\\ ")])
            else:
                block.spectra.setdefault(name, []).append((len(block.data), body))
            continue
        glued = _GLUED.search(stripped)
        if glued is not None:  # "1 2 3#C ... aborted": keep the numbers, report the comment
            comment = stripped[glued.end() :].decode("latin-1").strip()
            block.comments.append(comment)
            block.notes.append(f"line {number}: a comment was glued onto a data line: {comment!r}")
            stripped = stripped[: glued.start()].strip()
            if not stripped:
                continue
        block.data.append((number, stripped))
    if pending is not None:
        block.notes.append(f"an @{pending[0]} spectrum is cut off at the end of the scan")
    return block


_FORMATS = (
    "%a %b %d %H:%M:%S %Y",
    "%a %b %d %H:%M:%S.%f %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def naive_date(text: str) -> datetime | None:
    """A ``#D`` date as written (SPEC's ``Thu Jul 17 02:38:24 2003`` or ISO 8601), or ``None``."""
    text = " ".join(text.split())
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def writer_zone(header: Header, *, notes: list[str]) -> tzinfo | None:
    """The UTC offset the file's writer used, from its header's ``#E`` (the epoch at which the file
    was started) and ``#D`` (the same moment in the writer's local time): SPEC writes both.
    ``None`` where the header lacks either or they do not agree on a whole quarter of an hour."""
    epochs, dates = header.lines.get("E"), header.lines.get("D")
    if not epochs or not dates:
        return None
    try:
        epoch = float(epochs[-1].split()[0])
    except (ValueError, IndexError):
        return None
    local = naive_date(dates[-1])
    if local is None or local.tzinfo is not None:
        return local.tzinfo if local is not None else None
    utc = datetime.fromtimestamp(epoch, tz=UTC).replace(tzinfo=None)
    seconds = (local - utc).total_seconds()
    quarters = round(seconds / 900)
    if abs(quarters) > 14 * 4 or abs(seconds - quarters * 900) > 120:
        notes.append(
            f"#E {epochs[-1]!r} and #D {dates[-1]!r} of the file header give no UTC offset"
        )
        return None
    return timezone(timedelta(minutes=15 * quarters))


def parse_date(text: str | None, *, zone: tzinfo | None, notes: list[str]) -> datetime | None:
    """A ``#D`` date: SPEC's ``Thu Jul 17 02:38:24 2003``, ISO 8601, or an epoch number; a time
    without a zone is read in ``zone``, and is ``None`` (with a note) where no zone is known:
    never labelled UTC by default."""
    if not text:
        return None
    text = " ".join(text.split())
    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    when = naive_date(text)
    if when is None:
        notes.append(f"#D {text!r} is not a date this adapter reads")
        return None
    if when.tzinfo is None:
        if zone is None:
            notes.append(
                f"#D {text!r} has no time zone and the file header no #E to tell it: "
                "no time (give the adapter option timezone, e.g. 'America/Chicago')"
            )
            return None
        when = when.replace(tzinfo=zone)
    return when
