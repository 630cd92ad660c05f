"""One image file through fabio: decompressed where it is ``.gz``/``.bz2``, its frames' headers,
one frame's data (uncompressed EDF and TIFF on their fast paths); fabio's complaints about a short or damaged data block are errors here.

fabio reads a truncated EDF as zeros and only logs "Data stream is incomplete": silently wrong
data. Every warning fabio logs in the reading thread while a frame decodes is collected, and one
that says the data is short or damaged raises :class:`~nx5d_core.errors.CorruptFrameError`.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np

from nx5d_core.errors import CorruptFrameError

from . import edf

__all__ = ["MAX_DECOMPRESSED", "decode", "headers"]

MAX_DECOMPRESSED = 4 * 1024**3
"""A compressed image that expands beyond this (bytes) is refused: no detector frame is that big."""
_DAMAGE = re.compile(
    r"incomplete|truncat|mismatch|too short|not enough|premature|corrupt", re.IGNORECASE
)


class _Heard(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _listening() -> Iterator[_Heard]:
    heard = _Heard()
    fabio_logger = logging.getLogger("fabio")
    fabio_logger.addHandler(heard)
    try:
        yield heard
    finally:
        fabio_logger.removeHandler(heard)


def _plain(stream: BinaryIO) -> BinaryIO:
    """``stream``, or its decompressed bytes where it is gzip or bzip2 (fabio needs a file name
    to see that), bounded by :data:`MAX_DECOMPRESSED`."""
    head = stream.read(3)
    stream.seek(0)
    if head[:2] == b"\x1f\x8b":
        packed: BinaryIO = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
    elif head == b"BZh":
        packed = bz2.BZ2File(stream)  # type: ignore[assignment]
    else:
        if not hasattr(stream, "lock"):  # fabio's readers lock their file while they seek
            stream.lock = threading.Semaphore()  # type: ignore[attr-defined]
        return stream
    data = packed.read(MAX_DECOMPRESSED + 1)
    if len(data) > MAX_DECOMPRESSED:
        msg = f"expands beyond {MAX_DECOMPRESSED} bytes: not an image file"
        raise CorruptFrameError(msg)
    from fabio.fabioutils import BytesIO

    return BytesIO(data)  # type: ignore[no-any-return]


def _open(stream: BinaryIO) -> Any:
    import fabio

    return fabio.open(_plain(stream))


_BLOCKS: OrderedDict[tuple[str, tuple[int, ...]], list[edf.Block]] = OrderedDict()
_BLOCKS_LOCK = threading.Lock()


def _edf_blocks(stream: BinaryIO) -> list[edf.Block] | None:
    """The blocks of an uncompressed EDF file (cached per file identity: a multi-frame file is
    parsed once, not once per frame), or ``None`` where fabio must read it."""
    head = stream.read(64)
    stream.seek(0)
    text = head.lstrip()
    if not text.startswith(b"{") or b"HEADER_BYTES" in text:
        return None
    st = os.fstat(stream.fileno())
    key = (str(getattr(stream, "name", "")), (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))  # fmt: skip
    with _BLOCKS_LOCK:
        found = _BLOCKS.get(key)
    if found is None:
        found = edf.blocks(stream)
        with _BLOCKS_LOCK:
            _BLOCKS[key] = found
            while len(_BLOCKS) > 64:
                _BLOCKS.popitem(last=False)
    return found


def _is_plain_tiff(stream: BinaryIO) -> bool:
    from nx5d_core.tiff import is_tiff

    head = stream.read(4)
    stream.seek(0)
    try:
        stream.fileno()
    except (OSError, AttributeError, ValueError):
        return False
    return is_tiff(head)


def headers(stream: BinaryIO) -> list[dict[str, Any]]:
    """The header of each frame of the image file ``stream`` (one for one-frame files)."""
    blocks = _edf_blocks(stream)
    if blocks is not None:
        return [dict(b.header) for b in blocks]
    image = _open(stream)
    count = int(getattr(image, "nframes", 1) or 1)
    short = [i for i, f in enumerate(getattr(image, "_frames", None) or []) if getattr(f, "incomplete_data", False)]  # fmt: skip
    if short:  # EDF: the file ends before a frame's data block does
        msg = f"the data of frame {short[0]} is incomplete: the file ends before its {image.header.get('Size', '?')}-byte block"  # fmt: skip
        raise CorruptFrameError(msg)
    out = [dict(image.header)]
    for index in range(1, count):
        out.append(dict(image.getframe(index).header))
    return out


def decode(stream: BinaryIO, *, member: int) -> np.ndarray:
    """Frame ``member`` of the image file ``stream``; raise where fabio found it short or damaged."""
    blocks = _edf_blocks(stream)
    if blocks is not None and member < len(blocks) and blocks[member].shape is not None:
        return edf.read_block(stream, blocks[member])
    if _is_plain_tiff(stream):  # the core's fast IFD reader, tifffile for the unusual ones
        from nx5d_core.tiff import decode_tiff

        return decode_tiff(stream, member=member)
    with _listening() as heard:
        image = _open(stream)
        if member:
            image = image.getframe(member)
        data = image.data
    damage = [m for m in heard.messages if _DAMAGE.search(m)]
    if damage:
        raise CorruptFrameError("; ".join(damage))
    if data is None:
        msg = "no image data in the file"
        raise CorruptFrameError(msg)
    return np.asarray(data)
