"""The fast path for uncompressed EDF (ESRF Data Format): header blocks parsed here, pixel data
read straight from the file, no fabio objects.

An EDF file is a sequence of blocks, each a ``{ key = value ; ... }`` ASCII header (padded,
by ESRF writers, to a multiple of 512 bytes) followed by its binary block of ``EDF_BinarySize``
(older writers: ``Size``) bytes; ``Dim_1`` is the fast axis, ``DataType`` and ``ByteOrder`` the
pixel type as fabio names them (:data:`fabio.edfimage.DATA_TYPES`). Reading a block that the
file does not hold to its end is :class:`~nx5d_core.errors.CorruptFrameError`, never zeros.
Compressed blocks (``Compression``), 3-D blocks and anything else unusual go to fabio.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from nx5d_core.errors import CorruptFrameError

__all__ = ["Block", "blocks", "read_block"]

_MAX_HEADER = 1 << 20  # a header block beyond 1 MiB is no EDF header
_PLAIN = {"", "none", "nocompression"}


@dataclass(frozen=True)
class Block:
    """One EDF block: its header, where its data starts, and its pixel layout (``None`` when
    the block needs fabio: compressed, 3-D, an unknown type)."""

    header: dict[str, str]
    start: int
    size: int
    shape: tuple[int, int] | None
    dtype: np.dtype[Any] | None


def _header(stream: BinaryIO, offset: int) -> tuple[dict[str, str], int] | None:
    stream.seek(offset)
    head = stream.read(512)
    if not head.strip():
        return None
    text = bytearray(head)
    while True:
        end = text.find(b"}")
        if end >= 0:
            break
        more = stream.read(4096)
        if not more or len(text) > _MAX_HEADER:
            msg = f"the EDF header at byte {offset} has no closing '}}'"
            raise CorruptFrameError(msg)
        text += more
    start = text.find(b"{")
    if start < 0 or text[:start].strip():
        msg = f"no EDF header block at byte {offset}"
        raise CorruptFrameError(msg)
    data_start = end + 1
    while data_start < len(text) and bytes(text[data_start : data_start + 1]) in (b"\r", b"\n"):
        data_start += 1
        if text[data_start - 1 : data_start] == b"\n":
            break
    fields: dict[str, str] = {}
    for item in text[start + 1 : end].decode("latin-1").split(";"):
        key, sep, value = item.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    return fields, offset + data_start


def _layout(header: dict[str, str]) -> tuple[tuple[int, int] | None, np.dtype[Any] | None]:
    from fabio.edfimage import DATA_TYPES

    if header.get("Compression", "").strip().lower() not in _PLAIN:
        return None, None
    if int(header.get("Dim_3", "1") or 1) != 1 or "Dim_1" not in header:
        return None, None
    kind = DATA_TYPES.get(header.get("DataType", ""))
    if kind is None:
        return None, None
    order = ">" if header.get("ByteOrder", "LowByteFirst") == "HighByteFirst" else "<"
    return (int(header.get("Dim_2", "1")), int(header["Dim_1"])), np.dtype(kind).newbyteorder(order)  # fmt: skip


def blocks(stream: BinaryIO) -> list[Block]:
    """Every block of the EDF file ``stream``; a block the file does not hold to its end raises."""
    total = os.fstat(stream.fileno()).st_size
    out: list[Block] = []
    offset = 0
    while offset < total:
        found = _header(stream, offset)
        if found is None:  # trailing padding
            break
        header, start = found
        shape, dtype = _layout(header)
        size = int(header.get("EDF_BinarySize") or header.get("Size") or 0)
        if shape is not None and dtype is not None and size == 0:
            size = shape[0] * shape[1] * dtype.itemsize
        if start + size > total:
            msg = f"the data of frame {len(out)} is incomplete: {total - start} of its {size} bytes are in the file"  # fmt: skip
            raise CorruptFrameError(msg)
        out.append(Block(header, start, size, shape, dtype))
        offset = start + size
    if not out:
        msg = "no EDF block in the file"
        raise CorruptFrameError(msg)
    return out


def read_block(stream: BinaryIO, block: Block) -> np.ndarray:
    """The pixels of ``block`` (which has a layout), read from ``stream`` into a new array."""
    assert block.shape is not None
    assert block.dtype is not None
    count = block.shape[0] * block.shape[1]
    if count * block.dtype.itemsize > block.size:
        msg = f"its header promises {block.shape[0]}x{block.shape[1]} {block.dtype} pixels in a {block.size}-byte block"  # fmt: skip
        raise CorruptFrameError(msg)
    out = np.empty(block.shape, block.dtype)
    stream.seek(block.start)
    reader: Any = stream  # a binary file: it reads straight into the array
    got = reader.readinto(out.reshape(-1).view(np.uint8).data)
    if got != out.nbytes:
        msg = f"the data is incomplete: {got} of {out.nbytes} bytes"
        raise CorruptFrameError(msg)
    if not out.dtype.isnative:  # HighByteFirst on a little-endian machine
        return out.astype(out.dtype.newbyteorder("="))
    return out
