"""Detector TIFFs, fast: one frame per file read straight into a buffer.

:class:`TiffReader` is a :class:`~nx5d_core.frames.FrameFormat` for a scan's one-page TIFF frames.
Frame 0, parsed with tifffile, is the *template*; every other file's first image directory is read
in one ``pread`` (:mod:`nx5d_core.tiff_layout`), checked against it, and its strips are read or
deflate-decoded straight into the output. Anything unusual (tiles, predictors, BigTIFF,
big-endian) goes to tifffile, which parses every tag: about 0.25 ms per file, four times the read.
:func:`decode_tiff` is the same fast path for a decoder that gets one open file (the frame-series
base). Needs ``tifffile`` and ``imagecodecs``, which the plugins that read TIFF depend on.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .errors import (
    CorruptFrameError,
    FilesChangedError,
    FrameShapeError,
    MissingFrameError,
    Nx5dError,
)
from .frames import read_frames
from .paths import FileIdentity, file_identity, open_regular
from .tiff_layout import (
    WHOLE_READ,
    TiffLayout,
    check_declared_size,
    decode_strips,
    deflate_decoder,
    parse_ifd,
    read_strips,
    whole_file,
)

__all__ = ["Template", "TiffReader", "decode_tiff", "is_tiff"]


def is_tiff(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts a classic TIFF (either byte order)."""
    return head[:4] in (b"II*\x00", b"MM\x00*")


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


def _tifffile_error() -> tuple[type[BaseException], ...]:
    import tifffile

    return (tifffile.TiffFileError, ValueError, OSError, struct.error, EOFError)


def _template(fd: int, path: Path) -> Template:
    import tifffile

    try:
        with tifffile.TiffFile(whole_file(fd), name=path.name) as tif:
            page = tif.pages.first
            shape, dtype = page.shape, page.dtype
            compression, rows = int(page.compression), int(page.rowsperstrip or page.shape[0])
            pages = len(tif.pages)
    except _tifffile_error() as exc:
        msg = f"{path}: not a readable TIFF: {exc}"
        raise CorruptFrameError(msg) from exc
    if pages != 1:
        msg = f"{path}: a multi-page TIFF ({pages} images); a frame file must hold one image"
        raise FrameShapeError(msg)
    if dtype is None or len(shape) != 2:
        msg = f"{path}: expected a single 2-D frame, found shape {shape} ({dtype})"
        raise FrameShapeError(msg)
    size = os.fstat(fd).st_size
    check_declared_size(
        path, shape=shape, dtype=np.dtype(dtype), compression=compression, size=size
    )
    return Template((int(shape[0]), int(shape[1])), np.dtype(dtype), compression, rows)


class TiffReader:
    """Reads the one-page TIFF frames of one scan. Create with :meth:`from_first`; thread-safe."""

    def __init__(
        self,
        template: Template,
        *,
        workers: int | None = None,
        header: tuple[bytes, TiffLayout] | None = None,
    ) -> None:
        self.template = template
        self.workers = workers or os.cpu_count() or 1
        self._decode = deflate_decoder()
        # frame 0's bytes before its pixel data, when they hold its whole IFD: a file whose first
        # bytes are identical has the identical layout, so its IFD need not be parsed again
        self._header = header

    @classmethod
    def from_first(cls, path: Path, *, workers: int | None = None) -> TiffReader:
        """Parse ``path`` with tifffile to make the template."""
        if not path.exists():
            msg = f"image file not found: {path}"
            raise MissingFrameError(msg)
        fd = open_regular(path, what="an image file")
        try:
            template = _template(fd, path)
            layout = parse_ifd(fd, path, os.fstat(fd).st_size)
            end = min(layout.offsets) if layout.offsets else 0
            fast = layout.fast and 0 < layout.meta_end <= end
            header = (os.pread(fd, end, 0), layout) if fast else None
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
            self._read_open(fd, path, out, index=index, size=before[1])
        except OSError as exc:
            if exc.filename is not None or isinstance(exc, Nx5dError):
                raise
            raise type(exc)(exc.errno, f"{exc.strerror} (frame {index})", str(path)) from None
        finally:
            os.close(fd)

    def _read_open(self, fd: int, path: Path, out: np.ndarray, *, index: int, size: int) -> None:
        if self._header is not None:
            known, layout = self._header
            if layout.compression != 1 and size <= WHOLE_READ:
                # compressed frames are small: one read of the whole file, header and strips
                whole = os.pread(fd, size, 0)
                if whole.startswith(known):
                    decode_strips(whole, layout, out, path, decode=self._decode)
                    return
            elif os.pread(fd, len(known), 0) == known:
                read_strips(fd, layout, out, path, decode=self._decode)
                return
        layout = parse_ifd(fd, path, size)
        if layout.fast:
            self._check(layout.shape, layout.dtype, path, index)
            read_strips(fd, layout, out, path, decode=self._decode)
            return
        data = _tifffile_read(fd, path, member=0)
        self._check(data.shape, data.dtype, path, index)
        out[...] = data

    def _check(
        self, shape: tuple[int, ...], dtype: np.dtype[Any] | None, path: Path, index: int
    ) -> None:
        t = self.template
        if (
            shape != t.shape
            or dtype is None
            or dtype.newbyteorder("<") != t.dtype.newbyteorder("<")
        ):
            msg = (
                f"frame {index}: {path.name} is {'x'.join(map(str, shape))} {dtype}, "
                f"but the scan's first frame is {t.describe()} ({path.parent})"
            )
            raise FrameShapeError(msg)

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


def _tifffile_read(fd: int, path: Path, *, member: int) -> np.ndarray:
    import tifffile

    try:
        data: np.ndarray = tifffile.imread(whole_file(fd), key=member)
    except _tifffile_error() as exc:
        msg = f"{path}: not a readable TIFF: {exc}"
        raise CorruptFrameError(msg) from exc
    return data


def decode_tiff(stream: BinaryIO, *, member: int = 0) -> np.ndarray:
    """Page ``member`` of the TIFF file open as ``stream``: a one-page detector TIFF on the fast
    path, anything else through tifffile. A truncated file raises :class:`CorruptFrameError`."""
    fd = stream.fileno()
    path = Path(getattr(stream, "name", f"<fd {fd}>"))
    size = os.fstat(fd).st_size
    layout = parse_ifd(fd, path, size, one_page=False) if member == 0 else None
    if layout is None or not layout.fast or layout.dtype is None:
        return _tifffile_read(fd, path, member=member)
    check_declared_size(path, shape=layout.shape, dtype=layout.dtype, compression=layout.compression, size=size)  # fmt: skip
    out = np.empty(layout.shape, layout.dtype)
    read_strips(fd, layout, out, path, decode=deflate_decoder())
    return out
