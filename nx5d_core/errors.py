"""Exceptions raised by nx5d_core; each says what was looked for and where."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

__all__ = [
    "AdapterConflictError",
    "AdapterContractError",
    "AdapterGuessError",
    "AdapterNotFoundError",
    "AdapterOptionError",
    "ConfigError",
    "FilesChangedError",
    "FormatError",
    "InvalidKeyError",
    "KeyNotFoundError",
    "NoTableError",
    "Nx5dError",
    "OutsideRootError",
    "RemoteUnavailableError",
    "SpecialFileError",
    "URLPatternError",
    "closest",
]


def _rebuild(
    cls: type[BaseException],
    args: tuple[Any, ...],
    state: dict[str, Any],
    os_fields: tuple[Any, ...] | None,
) -> BaseException:
    """An error as it was pickled, without calling its own ``__init__``."""
    if issubclass(cls, OSError):
        fields = os_fields or ()  # errno, strerror, filename live outside __dict__
        error: BaseException = OSError.__new__(cls, *fields)  # parsed here or in __init__,
        OSError.__init__(error, *fields)  # depending on the class: both see them
    else:
        error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class Nx5dError(Exception):
    """Base class of every error nx5d_core raises on purpose.

    Errors pickle whatever their constructor takes (their arguments, attributes and notes are
    restored as they were), so an error raised in a worker process reaches the caller intact.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        os_fields = None
        if isinstance(self, OSError) and (self.errno is not None or self.filename is not None):
            os_fields = (self.errno, self.strerror, self.filename, None, self.filename2)
        return (_rebuild, (type(self), self.args, dict(self.__dict__), os_fields))


class AdapterNotFoundError(Nx5dError, LookupError):
    """An adapter name that no installed plugin registered."""


class AdapterConflictError(Nx5dError, ValueError):
    """Two adapters registered under one name without ``overwrite=True``."""


class AdapterGuessError(Nx5dError, ValueError):
    """No adapter, or more than one, claims a URL."""


class AdapterOptionError(Nx5dError, TypeError):
    """An option an adapter does not have, or a value of the wrong type (the valid ones are named)."""


class AdapterContractError(Nx5dError, TypeError):
    """An adapter hook returned something the contract does not allow."""


class InvalidKeyError(Nx5dError, ValueError):
    """A proposal or scan key that is empty, or would leave the repository root."""


class URLPatternError(Nx5dError, ValueError):
    """A repository URL pattern that cannot be used (e.g. no ``{scan}`` field)."""


class ConfigError(Nx5dError, ValueError):
    """A named-repository configuration file that cannot be used."""


class FormatError(Nx5dError, ValueError):
    """A file that does not hold what its format promises; the message names file and place."""


class MissingFrameError(FormatError, FileNotFoundError):
    """A frame's image file that does not exist (never read as zeros)."""


class CorruptFrameError(FormatError):
    """A frame's file that is truncated or cannot be decoded (its decoded size differs from its
    header); the message names the file and the frame."""


class FrameShapeError(FormatError):
    """A frame of another shape or type than the scan's first frame."""


class NoTableError(Nx5dError, ValueError):
    """A scan whose data has nothing per point to tabulate (only single values)."""


class OutsideRootError(Nx5dError, PermissionError):
    """A path (or a link, an HDF5 external link, a VDS source) that leads outside the repository root.

    Parameters
    ----------
    link
        The path or link as the data names it.
    target
        Where it leads, resolved.
    root
        The repository root it must stay inside.
    """

    def __init__(self, *, link: str, target: str, root: str) -> None:
        self.link, self.target, self.root = link, target, root
        self.message = (
            f"{link} leads to {target}, outside the repository root {root}; refused "
            "(allow it with allow_outside=[...] on the repository or in its named config)"
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class SpecialFileError(Nx5dError, OSError):
    """A FIFO, socket, device or folder where a data file is expected (reading it could hang)."""


class FilesChangedError(Nx5dError, RuntimeError):
    """A scan's files changed while they were read, or since a lazy dataset was built."""


class RemoteUnavailableError(Nx5dError, ConnectionError):
    """An object store or web server that refused the connection, did not answer within the
    timeout (``NX5D_REMOTE_TIMEOUT``), or answered with a server error: nothing is wrong with
    the data, and nothing was read."""


def closest(key: str, candidates: Iterable[str], *, n: int = 3) -> list[str]:
    """Return up to ``n`` candidates that look most like ``key``."""
    return difflib.get_close_matches(key, list(candidates), n=n, cutoff=0.4)


class KeyNotFoundError(Nx5dError, KeyError):
    """A key that is not in a repository or proposal.

    Parameters
    ----------
    key
        The key that was asked for.
    kind
        What was looked for (``"proposal"``, ``"scan"``, ``"repository"``).
    where
        Where it was looked for (a repository URL, a proposal key, a folder).
    candidates
        The keys that do exist there; the closest few are named in the message.
    """

    def __init__(self, key: str, *, kind: str, where: str, candidates: Iterable[str]) -> None:
        self.key = key
        self.kind = kind
        self.where = where
        known = list(candidates)
        self.closest = closest(key, known)
        if not known:
            hint = f"there are no {kind}s there"
        elif self.closest:
            hint = "closest: " + ", ".join(repr(k) for k in self.closest)
        else:
            hint = f"{len(known)} {kind}s exist, e.g. " + ", ".join(repr(k) for k in known[:3])
        self.message = f"{kind} {key!r} not found in {where}; {hint}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


# the names before error names ended in Error, kept so that existing code still imports
RemoteUnavailable = RemoteUnavailableError
