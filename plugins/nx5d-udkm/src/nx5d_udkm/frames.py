"""The TIFF frame format of UDKM scans: how to read one Pilatus TIFF into a buffer, fast.

Stacking and laziness are the core's (:mod:`nx5d_core.frames`); this is the format. Frame 0,
parsed with tifffile, is the *template*; every other file's first IFD is read (one ``pread``)
and the tags that locate the pixels are checked against it, then the strips are read or
deflate-decoded straight into the output. Anything unusual (tiles, predictors, BigTIFF,
big-endian) goes to tifffile, which parses every tag: ~0.25 ms per file, four times the read.
"""

from __future__ import annotations

import io
import logging
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nx5d_core.errors import FilesChangedError, Nx5dError
from nx5d_core.frames import FrameStack, read_frames
from nx5d_core.paths import FileIdentity, file_identity, open_regular

from .errors import CorruptFrameError, FrameShapeError, MissingFrameError

__all__ = ["FrameReader", "FrameStack", "Template"]  # FrameStack: from nx5d_core.frames
logger = logging.getLogger(__name__)

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
_WHOLE_READ = 4 * 1024 * 1024  # compressed files up to this size are read in one call


@dataclass(frozen=True)
class Template:
    """What every frame of a scan must look like."""

    shape: tuple[int, int]
    dtype: np.dtype[Any]
    compression: int
    rows_per_strip: int

    def describe(self) -> str:
        """``195x487 int32``."""
        return f"{self.shape[0]}x{self.shape[1]} {self.dtype}"


@dataclass(frozen=True)
class _Layout:
    shape: tuple[int, int]
    dtype: np.dtype[Any] | None
    compression: int
    predictor: int
    rows_per_strip: int
    offsets: tuple[int, ...]
    counts: tuple[int, ...]
    fast: bool
    meta_end: int = 0


def _ifd(fd: int, path: Path, size: int) -> _Layout:
    head = os.pread(fd, 4096, 0)
    if len(head) < 8 or head[:4] not in (b"II*\x00", b"MM\x00*"):
        kind = "empty" if not head else f"starts with {head[:4]!r}"
        msg = f"{path}: not a TIFF file ({kind}, {size} bytes)"
        raise CorruptFrameError(msg)
    if head[:2] != b"II":
        return _Layout((0, 0), None, 0, 1, 0, (), (), fast=False)
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
    return _Layout(
        (length, width), dtype, compression, predictor, rows, offsets, counts, fast, meta_end
    )


def _whole(fd: int) -> io.BytesIO:
    """The whole file behind ``fd`` in memory (a frame is small), for tifffile."""
    return io.BytesIO(os.pread(fd, os.fstat(fd).st_size, 0))


MAX_DEFLATE_RATIO = 1100  # deflate cannot expand more than 1032:1


def _check_declared_size(
    path: Path,
    *,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
    compression: int,
    size: int,
    fd: int,
) -> None:
    """A header that declares more pixels than the file can hold is a format error, not a MemoryError."""
    nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    limit = size if compression == 1 else size * MAX_DEFLATE_RATIO
    if nbytes > limit:
        os.close(fd)
        msg = (
            f"{path}: the header declares a {'x'.join(map(str, shape))} {dtype} image "
            f"({nbytes:,} bytes{'' if compression == 1 else ' decoded'}), which a {size:,}-byte file cannot hold"
        )
        raise CorruptFrameError(msg)


def _decoder() -> Callable[[bytes | memoryview, np.ndarray], None]:
    """Deflate (zlib format) decoding into ``out``: libdeflate through imagecodecs, as tifffile does."""
    import imagecodecs

    def decode(data: bytes | memoryview, out: np.ndarray) -> None:
        imagecodecs.deflate_decode(data, out=out.reshape(-1).view(np.uint8))  # type: ignore[arg-type]

    return decode


class FrameReader:
    """Reads frames of one scan. Create with :meth:`from_first`; thread-safe."""

    def __init__(
        self,
        template: Template,
        *,
        workers: int | None = None,
        header: tuple[bytes, _Layout] | None = None,
    ) -> None:
        self.template = template
        self.workers = workers or os.cpu_count() or 1
        self._decode = _decoder()
        # frame 0's bytes before its pixel data, when they hold its whole IFD: a file whose first
        # bytes are identical has the identical layout, so its IFD need not be parsed again
        self._header = header

    @classmethod
    def from_first(cls, path: Path, *, workers: int | None = None) -> FrameReader:
        """Parse ``path`` with tifffile to make the template."""
        import tifffile

        if not path.exists():
            msg = f"image file not found: {path}"
            raise MissingFrameError(msg)
        fd = open_regular(path, what="an image file")
        try:
            with tifffile.TiffFile(_whole(fd), name=path.name) as tif:
                page = tif.pages.first
                shape, dtype = page.shape, page.dtype
                compression, rows = int(page.compression), int(page.rowsperstrip or page.shape[0])
                pages = len(tif.pages)
        except (tifffile.TiffFileError, ValueError, OSError, struct.error) as exc:
            os.close(fd)
            msg = f"{path}: not a readable TIFF: {exc}"
            raise CorruptFrameError(msg) from exc
        except BaseException:
            os.close(fd)
            raise
        if pages != 1:
            os.close(fd)
            msg = f"{path}: a multi-page TIFF ({pages} images); a frame file must hold one image"
            raise FrameShapeError(msg)
        if dtype is None or len(shape) != 2:
            os.close(fd)
            msg = f"{path}: expected a single 2-D frame, found shape {shape} ({dtype})"
            raise FrameShapeError(msg)
        _check_declared_size(
            path,
            shape=shape,
            dtype=np.dtype(dtype),
            compression=compression,
            size=os.fstat(fd).st_size,
            fd=fd,
        )
        template = Template(
            shape=(int(shape[0]), int(shape[1])),
            dtype=np.dtype(dtype),
            compression=compression,
            rows_per_strip=rows,
        )
        try:
            layout = _ifd(fd, path, os.fstat(fd).st_size)
            end = min(layout.offsets) if layout.offsets else 0
            header = (
                (os.pread(fd, end, 0), layout)
                if layout.fast and 0 < layout.meta_end <= end
                else None
            )
        finally:
            os.close(fd)
        return cls(template, workers=workers, header=header)

    # -- one frame ---------------------------------------------------------------------
    def read_into(
        self,
        path: Path,
        out: np.ndarray,
        *,
        index: int,
        identity: FileIdentity | None = None,
        seen: list[FileIdentity | None] | None = None,
        slot: int = 0,
    ) -> None:
        """Read frame ``index`` from ``path`` into ``out`` (contiguous, the template's shape); a
        file unlike ``identity`` raises FilesChangedError; the identity read goes to ``seen[slot]``."""
        if out.shape != self.template.shape or not out.flags.c_contiguous:
            msg = f"read_into needs a contiguous {self.template.shape} buffer, got {out.shape}"
            raise ValueError(msg)
        try:
            fd = open_regular(path, what=f"frame {index}")
        except FileNotFoundError:
            msg_0 = f"frame {index}: image file not found: {path}"
            raise MissingFrameError(msg_0) from None
        try:
            before = file_identity(os.fstat(fd))
            if seen is not None:
                seen[slot] = before
            if identity is not None and before != identity:
                msg = (
                    f"frame {index}: {path} changed since the scan was listed; read the scan again"
                )
                raise FilesChangedError(msg)
            if self._header is not None:
                known, layout = self._header
                if layout.compression != 1 and before[1] <= _WHOLE_READ:
                    # compressed frames are small: one read of the whole file, header and strips
                    whole = os.pread(fd, before[1], 0)
                    if whole.startswith(known):
                        self._decode_strips(whole, layout, out, path)
                        return
                elif os.pread(fd, len(known), 0) == known:
                    self._read_strips(fd, layout, out, path)
                    return
            layout = _ifd(fd, path, before[1])
            if layout.fast:
                self._check(layout, path, index)
                self._read_strips(fd, layout, out, path)
            else:
                self._read_tifffile(fd, path, out, index)
        except OSError as exc:
            if exc.filename is not None or isinstance(exc, Nx5dError):
                raise
            raise type(exc)(exc.errno, f"{exc.strerror} (frame {index})", str(path)) from None
        finally:
            os.close(fd)

    def _check(self, layout: _Layout, path: Path, index: int) -> None:
        t = self.template
        if layout.shape != t.shape or layout.dtype != t.dtype.newbyteorder("<"):
            msg = (
                f"frame {index}: {path.name} is {layout.shape[0]}x{layout.shape[1]} {layout.dtype}, "
                f"but the scan's first frame is {t.describe()} ({path.parent})"
            )
            raise FrameShapeError(msg)

    def _read_strips(self, fd: int, layout: _Layout, out: np.ndarray, path: Path) -> None:
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
                    self._decode(data, part)
                except Exception as exc:  # imagecodecs raises its own error types
                    msg = f"{path}: strip {n} does not decode ({type(exc).__name__}: {exc})"
                    raise CorruptFrameError(msg) from exc

    def _decode_strips(self, whole: bytes, layout: _Layout, out: np.ndarray, path: Path) -> None:
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
                self._decode(view[offset : offset + count], part)
            except Exception as exc:  # imagecodecs raises its own error types
                msg = f"{path}: strip {n} does not decode ({type(exc).__name__}: {exc})"
                raise CorruptFrameError(msg) from exc

    def _read_tifffile(self, fd: int, path: Path, out: np.ndarray, index: int) -> None:
        import tifffile

        try:
            data = tifffile.imread(_whole(fd))
        except (tifffile.TiffFileError, ValueError, OSError, struct.error) as exc:
            msg = f"{path}: not a readable TIFF: {exc}"
            raise CorruptFrameError(msg) from exc
        if data.shape != self.template.shape or data.dtype != self.template.dtype:
            msg = (
                f"frame {index}: {path.name} is {'x'.join(map(str, data.shape))} {data.dtype}, "
                f"but the scan's first frame is {self.template.describe()} ({path.parent})"
            )
            raise FrameShapeError(msg)
        out[...] = data

    # -- the frame-format protocol of nx5d_core.frames ---------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns of every frame."""
        return self.template.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        """Pixel type of every frame."""
        return self.template.dtype

    def read(self, paths: Sequence[Path], **options: Any) -> np.ndarray:
        """Read ``paths`` into one array: :func:`nx5d_core.frames.read_frames` with this format."""
        return read_frames(self, paths, **options)

    def __getstate__(self) -> dict[str, Any]:
        return {"template": self.template, "workers": self.workers, "header": self._header}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["template"], workers=state["workers"], header=state["header"])  # type: ignore[misc]
