"""A scan folder in an object store or on a web server (any fsspec file system: S3, HTTP...).

The local frame reader works on file descriptors; here every file is fetched with fsspec: the
frames of a block in one concurrent request batch (``fs.cat`` of many paths: parallel for S3 and HTTP),
each decoded straight into its slot of the preallocated array, block after block, so memory
holds one block of compressed bytes at a time. A file's identity is (ETag or 0, size, mtime)
from one listing of the scan's folder, so a changed object is read again, as a changed file is.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .buffers import empty
from .errors import CorruptFrameError, FilesChangedError, FrameShapeError
from .fingerprint import MISSING, Fingerprint, remote_identity
from .paths import FileIdentity
from .remote_fs import as_unavailable, remote_errors
from .series_io import FrameDecoder, decoded

__all__ = ["RemoteFolder"]

_BLOCK = 128


class RemoteFolder:
    """One scan folder on an fsspec file system."""

    def __init__(self, fs: Any, folder: str) -> None:
        self.fs, self.folder = fs, folder.rstrip("/")

    def decode(self, decode: FrameDecoder, name: str, *, index: int, data: bytes | None = None) -> np.ndarray:  # fmt: skip
        """Frame ``index`` of the scan from file ``name`` (fetched unless ``data`` is given),
        decoded by ``decode`` as a local file would be; errors name the URL."""
        raw = self.read(name) if data is None else data
        where = self.fs.unstrip_protocol(self.url(name))
        return decoded(decode, io.BytesIO(raw), path=where, index=index, member=0)

    def url(self, name: str) -> str:
        """The path of ``name`` in the folder."""
        return f"{self.folder}/{name}"

    def read(self, name: str) -> bytes:
        """The bytes of one file.

        Raises
        ------
        FileNotFoundError
            Naming the object.
        """
        url = self.fs.unstrip_protocol(self.url(name))
        with remote_errors(url):
            try:
                data: bytes = self.fs.cat_file(self.url(name))
            except FileNotFoundError as exc:
                if as_unavailable(exc, url=url) is not None:
                    raise
                msg = f"{url} does not exist"
                raise FileNotFoundError(msg) from None
        return data

    def listing(self) -> dict[str, FileIdentity]:
        """Name -> identity of every object in the folder (one request; not cached)."""
        self.fs.invalidate_cache(self.folder)
        with remote_errors(self.fs.unstrip_protocol(self.folder)):
            entries = self.fs.ls(self.folder, detail=True)
        return {str(e["name"]).rstrip("/").rsplit("/", 1)[-1]: remote_identity(e) for e in entries}

    def fingerprint(self, names: Sequence[str]) -> Fingerprint:
        """The fingerprint of ``names`` (missing ones recorded as missing).

        One listing gives every identity on object stores; where a listing has no sizes or
        times (a web server's index page), each file is asked for its headers (concurrently).
        """
        found = self.listing()
        vague = [n for n in names if n in found and found[n][1] < 0]
        if vague:
            found.update(self._infos(vague))
        return Fingerprint(tuple((n, found.get(n, MISSING)) for n in names))

    def _check_unchanged(self, names: Sequence[str], expect: Mapping[str, FileIdentity]) -> None:
        self.fs.invalidate_cache(self.folder)  # the answer now, not the listing's cached one
        now = self._infos(names)
        changed = [n for n in names if n in expect and now.get(n) != expect[n]]
        if changed:
            shown = ", ".join(self.fs.unstrip_protocol(self.url(n)) for n in changed[:3])
            msg = f"{shown}: changed since the lazy dataset was built (planned with their former identity); build it again"  # fmt: skip
            raise FilesChangedError(msg)

    def _infos(self, names: Sequence[str]) -> dict[str, FileIdentity]:
        urls = [self.url(n) for n in names]
        if getattr(self.fs, "async_impl", False):
            import asyncio

            from fsspec.asyn import sync

            async def gather() -> list[Any]:
                return await asyncio.gather(
                    *(self.fs._info(u) for u in urls), return_exceptions=True
                )

            infos = sync(self.fs.loop, gather)
        else:
            infos = []
            for url in urls:
                try:
                    infos.append(self.fs.info(url))
                except FileNotFoundError as exc:
                    infos.append(exc)
        for name, info in zip(names, infos, strict=True):
            if isinstance(info, BaseException) and (down := as_unavailable(info, url=self.url(name))):  # fmt: skip
                raise down from info  # a server that did not answer is no missing file
        return {
            n: MISSING if isinstance(i, BaseException) else remote_identity(i)
            for n, i in zip(names, infos, strict=True)
        }

    def read_frames(
        self,
        names: Sequence[str],
        *,
        decode: FrameDecoder,
        rows: slice,
        cols: slice,
        progress: Callable[[int], object] | None = None,
        expect: Mapping[str, FileIdentity] | None = None,
        first_index: int = 0,
    ) -> np.ndarray:
        """Every frame of ``names`` (``[rows, cols]`` of each) in one array, fetched block by
        block with concurrent requests.

        ``expect``: the identities the read was planned with (a lazy dataset's); after each
        block, its objects are asked again (concurrent HEADs) and one that changed raises
        :class:`~nx5d_core.errors.FilesChangedError` instead of mixing old and new frames.

        Raises
        ------
        CorruptFrameError, FrameShapeError
            Naming the frame.
        FilesChangedError
            An object changed since ``expect`` was taken.
        RemoteUnavailableError
            The server refused, reset or did not answer in time.
        """
        first = self.decode(decode, names[0], index=first_index)
        shape = first.shape
        out = empty((len(names), *first[rows, cols].shape), first.dtype)  # huge pages
        for start in range(0, len(names), _BLOCK):
            block = list(names[start : start + _BLOCK])
            urls = [self.url(n) for n in block]
            with remote_errors(self.fs.unstrip_protocol(self.folder)):
                data = self.fs.cat(urls, on_error="return")
            for offset, (name, url) in enumerate(zip(block, urls, strict=True)):
                value = data.get(url, data.get(self.fs._strip_protocol(url)))
                if isinstance(value, BaseException) and (down := as_unavailable(value, url=url)):
                    raise down from value  # the server, not the frame
                if isinstance(value, BaseException) or value is None:
                    msg = f"frame {first_index + start + offset}: {url} cannot be read: {value}"
                    raise CorruptFrameError(msg)
                frame = self.decode(decode, name, index=first_index + start + offset, data=value)
                if frame.shape != shape or frame.dtype != first.dtype:
                    msg = (
                        f"frame {first_index + start + offset}: {name} is {frame.shape} {frame.dtype}, the first "
                        f"frame {shape} {first.dtype}"
                    )
                    raise FrameShapeError(msg)
                out[start + offset] = frame[rows, cols]
            if expect is not None:
                self._check_unchanged(block, expect)
            if progress is not None:
                progress(len(block))
        return out
