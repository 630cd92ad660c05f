"""Image headers by file, read again only when the file changed (the images adapter's proposals
and SPEC scans matching frames by their headers keep one)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from nx5d_core.errors import CorruptFrameError, Nx5dError
from nx5d_core.paths import FileIdentity, RootGuard, file_identity
from nx5d_core.series import FrameFile

from . import decode

__all__ = ["HeaderCache"]


class HeaderCache:
    """The frame headers of image files, each read once per identity of its file."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[FileIdentity, list[dict[str, Any]]]] = {}

    def read(self, path: Path, *, guard: RootGuard) -> list[dict[str, Any]]:
        """The frame headers of the image file ``path`` (one per frame).

        A known file is checked with one ``stat`` that follows links: a path that now leads
        elsewhere has another identity and is opened again through ``guard``.
        """
        key = os.fspath(path)
        cached = self._seen.get(key)
        if cached is not None:
            with contextlib.suppress(OSError):  # gone: the guarded open below says so
                if cached[0] == file_identity(path.stat()):
                    return cached[1]
        with FrameFile(path, guard=guard, what="an image file") as stream:
            identity = stream.identity()
            try:
                found = decode.headers(stream)
            except CorruptFrameError as exc:
                msg = f"{path}: {exc}"
                raise CorruptFrameError(msg) from exc
            except (OSError, Nx5dError):
                raise
            except Exception as exc:
                msg = f"{path}: not a readable image file: {type(exc).__name__}: {exc}"
                raise CorruptFrameError(msg) from exc
        self._seen[key] = (identity, found)
        return found
