"""The repository root as a security boundary: one resolver every adapter reads through.

Every path an adapter opens goes through :class:`RootGuard`: it is resolved (symlinks, ``..``)
and must lie inside the repository root or inside a folder the operator allowed
(``allow_outside``); it must be a regular file (a FIFO, socket or device named like a data file
would block a reader forever); and a file that cannot be read raises ``PermissionError`` naming
it. HDF5 external links and VDS sources are checked with :meth:`RootGuard.resolve` too.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import OutsideRootError, SpecialFileError

__all__ = [
    "RootGuard",
    "describe_mode",
    "file_identity",
    "note_dependency",
    "open_regular",
    "recording_reads",
]

REMOTE_ROOT = "<remote>"
"""The root of a remote repository's guard: no local path lies inside it."""

FileIdentity = tuple[int, int, int, int]
"""(inode, size, mtime in ns, ctime in ns) of a file: what changes when a file is replaced or
rewritten (the ctime also when a same-size rewrite has its mtime set back, as ``cp -p``,
``rsync -t`` and ``touch -r`` do)."""


def file_identity(st: os.stat_result) -> FileIdentity:
    """The identity of a file from its stat result."""
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def describe_mode(mode: int) -> str:
    """``"a FIFO"``, ``"a socket"``... for a stat mode that is not a regular file."""
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _special(path: str | os.PathLike[str], mode: int, what: str) -> SpecialFileError:
    kind = describe_mode(mode)
    msg = f"{os.fspath(path)} is {kind}, not a regular file; refused as {what}"
    return SpecialFileError(errno.EINVAL, msg, os.fspath(path))


def open_regular(path: str | os.PathLike[str], *, what: str = "a data file") -> int:
    """``os.open`` for reading that never blocks on a FIFO and refuses anything but a regular file.

    Returns the file descriptor; errors name the path.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _special(path, mode, what)
    return fd


_recording = threading.local()


@contextlib.contextmanager
def recording_reads() -> Iterator[list[str]]:
    """Collect every path a :class:`RootGuard` resolves in this thread while the block runs
    (the files a summary was computed from, external link targets included)."""
    previous = getattr(_recording, "paths", None)
    paths: list[str] = []
    _recording.paths = paths
    try:
        yield paths
    finally:
        _recording.paths = previous
        if previous is not None:
            previous.extend(paths)


def note_dependency(path: str | os.PathLike[str]) -> None:
    """Record ``path`` for :func:`recording_reads` without reading it: a file whose absence
    shaped the result (a dangling link's target) must be watched too."""
    seen = getattr(_recording, "paths", None)
    if seen is not None:
        seen.append(os.path.abspath(os.fspath(path)))


_FD_LINKS = "/proc/self/fd"


def kernel_resolved(path: str) -> tuple[str, os.stat_result] | None:
    """``path`` resolved by the kernel, and its stat, or ``None`` (then ``os.path.realpath``).

    Linux names an open file's path in ``/proc/self/fd``: one ``open(O_PATH)`` (which neither
    reads nor blocks on a FIFO) resolves every symlink and ``..`` where ``realpath`` takes one
    ``lstat`` per path component in Python, five times slower. A path that cannot be opened
    (missing, a dangling link, no permission) is left to ``realpath``, so its errors stay as
    they were.
    """
    flag = getattr(os, "O_PATH", 0)
    if not flag:
        return None
    try:
        fd = os.open(path, flag | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        resolved = os.readlink(f"{_FD_LINKS}/{fd}")
        st = os.fstat(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    if not resolved.startswith("/") or resolved.endswith(" (deleted)"):
        return None
    return resolved, st


@dataclass(frozen=True)
class RootGuard:
    """Keeps reads inside ``root`` and the ``allowed`` folders (all resolved).

    Create with :meth:`create`; it pickles, so lazy arrays carry it to workers.
    """

    root: str
    allowed: tuple[str, ...] = ()
    kernel_paths: bool = False
    """Whether the kernel resolves paths here as ``os.path.realpath`` does (see :func:`kernel_resolved`)."""

    @classmethod
    def create(
        cls, root: str | os.PathLike[str], *, allow_outside: Iterable[str | os.PathLike[str]] = ()
    ) -> RootGuard:
        """A guard for ``root`` (resolved now) and the folders in ``allow_outside``."""
        allowed = tuple(os.path.realpath(os.fspath(p)) for p in allow_outside)
        resolved = os.path.realpath(os.fspath(root))
        kernel = kernel_resolved(resolved)  # the kernel's answer trusted only where it agrees
        return cls(root=resolved, allowed=allowed, kernel_paths=kernel is not None and kernel[0] == resolved)  # fmt: skip

    @classmethod
    def remote(cls, *, allow_outside: Iterable[str | os.PathLike[str]] = ()) -> RootGuard:
        """The guard of a repository on a remote file system (S3, HTTP): its root holds no
        local path, so a link in a remote file that names a local file is refused (only the
        folders in ``allow_outside`` may be read)."""
        allowed = tuple(os.path.realpath(os.fspath(p)) for p in allow_outside)
        return cls(root=REMOTE_ROOT, allowed=allowed)

    def contains(self, resolved: str) -> bool:
        """Whether the resolved path ``resolved`` lies inside the root or an allowed folder."""
        for base in (self.root, *self.allowed):
            if base == REMOTE_ROOT:
                continue
            if resolved == base or resolved.startswith(base.rstrip(os.sep) + os.sep):
                return True
        return False

    def resolve(self, path: str | os.PathLike[str], *, link: str | None = None) -> Path:
        """``path`` resolved; raise :class:`OutsideRootError` if it leaves the root.

        ``link`` names the thing that pointed there (an HDF5 link...) in the error.
        """
        return Path(self._resolved(path, link=link)[0])

    def _resolved(
        self, path: str | os.PathLike[str], *, link: str | None
    ) -> tuple[str, os.stat_result | None]:
        """``path`` resolved inside the root, with its stat when the kernel resolved it."""
        text = os.fspath(path)
        kernel = kernel_resolved(text) if self.kernel_paths else None
        resolved, st = kernel if kernel is not None else (os.path.realpath(text), None)
        if not self.contains(resolved):
            raise OutsideRootError(link=link or text, target=resolved, root=self.root)
        seen = getattr(_recording, "paths", None)
        if seen is not None:
            seen.append(resolved)
        return resolved, st

    def _stat(self, path: str | os.PathLike[str]) -> tuple[Path, os.stat_result]:
        """``path`` resolved inside the root, and its stat; OS errors name ``path``."""
        resolved, st = self._resolved(path, link=None)
        if st is not None:
            return Path(resolved), st
        try:
            return Path(resolved), os.stat(resolved)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from None

    def file(self, path: str | os.PathLike[str], *, what: str = "a data file") -> Path:
        """``path`` checked: inside the root, a regular file, readable. Returns it resolved.

        Raises
        ------
        OutsideRootError
            It (or a symlink on the way) leads outside the root.
        FileNotFoundError, PermissionError
            It does not exist, or cannot be read (the message names it).
        SpecialFileError
            It is a folder, FIFO, socket or device.
        """
        resolved, st = self._stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise _special(path, st.st_mode, what)
        if not os.access(resolved, os.R_OK):
            raise PermissionError(errno.EACCES, "permission denied", os.fspath(path))
        return resolved

    def folder(self, path: str | os.PathLike[str]) -> Path:
        """``path`` checked to be a folder inside the root that can be listed. Returns it resolved."""
        resolved, st = self._stat(path)
        if not stat.S_ISDIR(st.st_mode):
            msg = f"{os.fspath(path)} is {describe_mode(st.st_mode) if not stat.S_ISREG(st.st_mode) else 'a file'}, not a folder"
            raise NotADirectoryError(errno.ENOTDIR, msg, os.fspath(path))
        if not os.access(resolved, os.R_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied (cannot list)", os.fspath(path))
        return resolved
