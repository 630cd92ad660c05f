"""Object stores and web servers that fail: bounded in time, and said as such.

Every fsspec file system nx5d makes for a repository gets connect and read timeouts
(``NX5D_REMOTE_TIMEOUT`` seconds, default 30; the repository's own ``storage_options`` win),
so a frozen server ends a read within them instead of after minutes. Errors that are about the
connection (refused, reset, timed out, a 5xx answer) become
:class:`~nx5d_core.errors.RemoteUnavailableError` naming the URL: never "does not exist", never a
corrupt frame.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from .errors import RemoteUnavailableError

__all__ = ["as_unavailable", "remote_errors", "timeout_seconds", "with_timeouts"]

DEFAULT_TIMEOUT = 30.0


def timeout_seconds() -> float:
    """``NX5D_REMOTE_TIMEOUT`` (seconds, > 0), else 30."""
    text = os.environ.get("NX5D_REMOTE_TIMEOUT", "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        msg = f"NX5D_REMOTE_TIMEOUT={text!r} is not a number of seconds"
        raise ValueError(msg) from None
    if not value > 0:
        msg = f"NX5D_REMOTE_TIMEOUT={text!r} must be more than 0 seconds"
        raise ValueError(msg)
    return value


def with_timeouts(protocol: str, storage_options: dict[str, Any]) -> dict[str, Any]:
    """``storage_options`` with connect and read timeouts for ``protocol`` added where the
    caller set none (HTTP through aiohttp, S3 through botocore)."""
    options = dict(storage_options)
    seconds = timeout_seconds()
    if protocol in {"http", "https"}:
        import aiohttp

        client = dict(options.get("client_kwargs") or {})
        client.setdefault("timeout", aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds))  # fmt: skip
        options["client_kwargs"] = client
    elif protocol in {"s3", "s3a"}:
        config = dict(options.get("config_kwargs") or {})
        config.setdefault("connect_timeout", seconds)
        config.setdefault("read_timeout", seconds)
        config.setdefault("retries", {"total_max_attempts": 2})
        options["config_kwargs"] = config
    return options


_CONNECTION = {"HTTPClientError", "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"}  # fmt: skip


def as_unavailable(exc: BaseException, *, url: str) -> RemoteUnavailableError | None:
    """The :class:`RemoteUnavailableError` that ``exc`` (raised reading ``url``) means, or ``None``
    if it is about the data (not found, forbidden, a decoding error)."""
    if isinstance(exc, FileNotFoundError) and exc.__cause__ is not None:
        return as_unavailable(exc.__cause__, url=url)  # fsspec's HTTP reads any failure so
    if isinstance(exc, FileNotFoundError | PermissionError | RemoteUnavailableError):
        return None
    names = {cls.__name__ for cls in type(exc).__mro__}
    module = type(exc).__module__
    if isinstance(exc, TimeoutError):
        why = f"no answer within {timeout_seconds():g} s (NX5D_REMOTE_TIMEOUT)"
    elif (
        module.startswith("aiohttp")
        or names & _CONNECTION
        or isinstance(exc, ConnectionError)
        or isinstance(exc, OSError)
        and exc.errno is not None
    ):
        why = f"{type(exc).__name__}: {exc}"
    else:
        return None
    return RemoteUnavailableError(f"{url}: the server is unavailable: {why}")


@contextlib.contextmanager
def remote_errors(url: str) -> Iterator[None]:
    """Turn connection errors inside the block into :class:`RemoteUnavailableError` naming ``url``."""
    try:
        yield
    except Exception as exc:
        unavailable = as_unavailable(exc, url=url)
        if unavailable is None:
            raise
        raise unavailable from exc
