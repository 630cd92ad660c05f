"""The layout of a plain TIFF file: its first image directory read in one ``pread``, and its
strips read or deflate-decoded straight into an output buffer.

This is the fast path of :mod:`nx5d_core.tiff`. It covers what detectors write (Pilatus, Lambda
and area-detector TIFFs: one little-endian page, strips, no predictor, uncompressed or deflate)
and says ``fast=False`` for the rest (tiles, predictors, BigTIFF, big-endian), which tifffile
reads. A header that points beyond the end of its file is a :class:`CorruptFrameError`.
Needs ``imagecodecs`` for deflate (the detector plugins depend on it).
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptFrameError, FrameShapeError

__all__ = [
    "MAX_DEFLATE_RATIO",
    "WHOLE_READ",
    "Decoder",
    "TiffLayout",
    "check_declared_size",
    "decode_strips",
    "deflate_decoder",
    "parse_ifd",
    "read_strips",
    "whole_file",
]

Decoder = Callable[[bytes | memoryview, np.ndarray], None]


_DTYPES = {
    (1, 8): "u1",
    (1, 16): "u2",
    (1, 32): "u4",
    (2, 8): "i1",
    (2, 16): "i2",
    (2, 32): "i4",
    (3, 32): "f4",
    (3, 64): "f8",
}
_TYPE_SIZE = {1: 1, 3: 2, 4: 4, 16: 8}
_FORMAT = {1: "B", 3: "H", 4: "I", 16: "Q"}
_DEFLATE = {8, 32946}
WHOLE_READ = 4 * 1024 * 1024  # compressed files up to this size are read in one call


@dataclass(frozen=True)
class TiffLayout:
    """Where a TIFF's pixels are, from its first image directory; ``fast`` where the strips can
    be read here."""

    shape: tuple[int, int]
    dtype: np.dtype[Any] | None
    compression: int
    predictor: int
    rows_per_strip: int
    offsets: tuple[int, ...]
    counts: tuple[int, ...]
    fast: bool
    meta_end: int = 0


def parse_ifd(fd: int, path: Path, size: int, *, one_page: bool = True) -> TiffLayout:
    """The layout of the TIFF behind ``fd`` (``size`` bytes), from one read of its first bytes; a
    multi-page file is a :class:`FrameShapeError` where ``one_page``, else not ``fast``."""
    head = os.pread(fd, 4096, 0)
    if len(head) < 8 or head[:4] not in (b"II*\x00", b"MM\x00*"):
        kind = "empty" if not head else f"starts with {head[:4]!r}"
        msg = f"{path}: not a TIFF file ({kind}, {size} bytes)"
        raise CorruptFrameError(msg)
    if head[:2] != b"II":
        return TiffLayout((0, 0), None, 0, 1, 0, (), (), fast=False)
    (ifd,) = struct.unpack_from("<I", head, 4)
    if ifd + 2 > size:
        msg = f"{path}: truncated: the image directory at byte {ifd} lies beyond the end ({size} bytes)"
        raise CorruptFrameError(msg)
    block = head if ifd + 2 + 12 * 64 <= len(head) else os.pread(fd, 2 + 12 * 256, ifd)
    base = ifd if block is head else 0
    (count,) = struct.unpack_from("<H", block, base)
    meta_end = ifd + 2 + 12 * count + 4
    if base + 2 + 12 * count > len(block):
        msg = f"{path}: truncated image directory ({count} entries, {size} bytes)"
        raise CorruptFrameError(msg)
    if base + 2 + 12 * count + 4 <= len(block):
        (next_ifd,) = struct.unpack_from("<I", block, base + 2 + 12 * count)
        if next_ifd and not one_page:
            return TiffLayout((0, 0), None, 0, 1, 0, (), (), fast=False)
        if next_ifd:
            msg = (
                f"{path}: a multi-page TIFF (more than one image); a frame file must hold one image"
            )
            raise FrameShapeError(msg)
    tags: dict[int, tuple[int, int, bytes]] = {}
    for i in range(count):
        tag, typ, n = struct.unpack_from("<HHI", block, base + 2 + 12 * i)
        tags[tag] = (typ, n, block[base + 10 + 12 * i : base + 14 + 12 * i])

    def values(tag: int, default: Sequence[int] = ()) -> tuple[int, ...]:
        if tag not in tags:
            return tuple(default)
        typ, n, raw = tags[tag]
        if typ not in _TYPE_SIZE:
            msg = f"{path}: TIFF tag {tag} has unexpected type {typ}"
            raise CorruptFrameError(msg)
        nonlocal meta_end
        nbytes = _TYPE_SIZE[typ] * n
        if nbytes <= 4:
            data = raw[:nbytes]
        else:
            (where,) = struct.unpack("<I", raw)
            data = os.pread(fd, nbytes, where)
            meta_end = max(meta_end, where + nbytes)
        if len(data) < nbytes:
            msg = f"{path}: truncated: tag {tag} points beyond the end of the file ({size} bytes)"
            raise CorruptFrameError(msg)
        return struct.unpack(f"<{n}{_FORMAT[typ]}", data)

    width, length = values(256, [0])[0], values(257, [0])[0]
    bits, fmt = values(258, [1])[0], values(339, [1])[0]
    spp, compression = values(277, [1])[0], values(259, [1])[0]
    predictor = values(317, [1])[0]
    rows = values(278, [length])[0]
    offsets, counts = values(273), values(279)
    dtype = np.dtype("<" + _DTYPES[(fmt, bits)]) if (fmt, bits) in _DTYPES else None
    fast = (
        dtype is not None
        and spp == 1
        and predictor == 1
        and 322 not in tags
        and bool(offsets)
        and len(offsets) == len(counts)
        and (compression == 1 or compression in _DEFLATE)
    )
    if fast and max(o + c for o, c in zip(offsets, counts, strict=True)) > size:
        msg = f"{path}: truncated: pixel data ends beyond the end of the file ({size} bytes)"
        raise CorruptFrameError(msg)
    return TiffLayout(
        (length, width), dtype, compression, predictor, rows, offsets, counts, fast, meta_end
    )


def whole_file(fd: int) -> io.BytesIO:
    """The whole file behind ``fd`` in memory (a frame is small), for tifffile."""
    return io.BytesIO(os.pread(fd, os.fstat(fd).st_size, 0))


MAX_DEFLATE_RATIO = 1100  # deflate cannot expand more than 1032:1


def check_declared_size(
    path: Path,
    *,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    compression: int,
    size: int,
) -> None:
    """A header that declares more pixels than the file can hold is a format error, not a MemoryError."""
    nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    limit = size if compression == 1 else size * MAX_DEFLATE_RATIO
    if nbytes > limit:
        msg = (
            f"{path}: the header declares a {'x'.join(map(str, shape))} {dtype} image "
            f"({nbytes:,} bytes{'' if compression == 1 else ' decoded'}), which a {size:,}-byte file cannot hold"
        )
        raise CorruptFrameError(msg)


def deflate_decoder() -> Decoder:
    """Deflate (zlib format) decoding into ``out``: libdeflate through imagecodecs, as tifffile does."""
    import imagecodecs

    def decode(data: bytes | memoryview, out: np.ndarray) -> None:
        imagecodecs.deflate_decode(data, out=out.reshape(-1).view(np.uint8))  # type: ignore[arg-type]

    return decode


def read_strips(
    fd: int, layout: TiffLayout, out: np.ndarray, path: Path, *, decode: Decoder
) -> None:
    """The strips of ``layout`` from ``fd`` into ``out`` (contiguous, the layout's shape)."""
    flat = out.reshape(-1)
    row_items = layout.shape[1]
    for n, (offset, count) in enumerate(zip(layout.offsets, layout.counts, strict=True)):
        first = n * layout.rows_per_strip * row_items
        last = min(first + layout.rows_per_strip * row_items, flat.size)
        part = flat[first:last]
        if layout.compression == 1:
            view = part.view(np.uint8).data
            got = os.preadv(fd, [view], offset)
            if got != part.nbytes:
                msg = f"{path}: truncated: strip {n} has {got} of {part.nbytes} bytes"
                raise CorruptFrameError(msg)
        else:
            data = os.pread(fd, count, offset)
            try:
                decode(data, part)
            except Exception as exc:  # imagecodecs raises its own error types
                msg = f"{path}: strip {n} does not decode ({type(exc).__name__}: {exc})"
                raise CorruptFrameError(msg) from exc


def decode_strips(
    whole: bytes, layout: TiffLayout, out: np.ndarray, path: Path, *, decode: Decoder
) -> None:
    """The compressed strips of ``layout`` from the file's bytes ``whole`` into ``out``."""
    flat = out.reshape(-1)
    row_items = layout.shape[1]
    view = memoryview(whole)
    for n, (offset, count) in enumerate(zip(layout.offsets, layout.counts, strict=True)):
        first = n * layout.rows_per_strip * row_items
        part = flat[first : min(first + layout.rows_per_strip * row_items, flat.size)]
        if offset + count > len(whole):
            msg = f"{path}: truncated: strip {n} ends at byte {offset + count} of {len(whole)}"
            raise CorruptFrameError(msg)
        try:
            decode(view[offset : offset + count], part)
        except Exception as exc:  # imagecodecs raises its own error types
            msg = f"{path}: strip {n} does not decode ({type(exc).__name__}: {exc})"
            raise CorruptFrameError(msg) from exc
