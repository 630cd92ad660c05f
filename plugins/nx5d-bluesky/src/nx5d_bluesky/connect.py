"""Connecting to a tiled server and reading from it with nx5d's errors: an unreachable server is
:class:`~nx5d_core.errors.RemoteUnavailableError`, a refused key :class:`BlueskyAuthError`, a
missing node :class:`~nx5d_core.errors.KeyNotFoundError`-like ``KeyError`` from tiled kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from nx5d_core.errors import RemoteUnavailableError

from .errors import BlueskyAuthError

if TYPE_CHECKING:
    from .adapter import BlueskyRepository

__all__ = ["connect", "fetch"]
T = TypeVar("T")


def _translated(exc: Exception, *, url: str, what: str) -> Exception | None:
    """Our error for a tiled or HTTP error, or ``None`` (raise it as it is)."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status in {401, 403}:
            return BlueskyAuthError(
                f"{url} refused the API key (HTTP {status}) while reading {what}: give "
                "api_key=... or set TILED_API_KEY"
            )
        if status >= 500:
            return RemoteUnavailableError(f"{url}: the tiled server answered HTTP {status} while reading {what}")  # fmt: skip
        return None
    if isinstance(exc, httpx.TransportError):
        return RemoteUnavailableError(f"{url}: the tiled server cannot be reached ({type(exc).__name__}: {exc}) while reading {what}")  # fmt: skip
    return None


def connect(url: str, *, api_key: str | None) -> Any:
    """The tiled client of ``url`` (``api_key`` None: tiled's own ``TILED_API_KEY``)."""
    from tiled.client.constructors import from_context
    from tiled.client.context import Context

    context = None
    try:
        context, path = Context.from_any_uri(url, api_key=api_key)
        return from_context(context, node_path_parts=path)
    except Exception as exc:
        if context is not None:  # a refused key: the connections opened so far are closed
            context.close()
        mine = _translated(exc, url=url, what="its root")
        if mine is None:
            raise
        raise mine from exc


def fetch(repository: BlueskyRepository, read: Callable[[Any], T], *, what: str) -> T:
    """``read(repository.client)``, with tiled's and HTTP's errors as nx5d's."""
    client = repository.client
    try:
        return read(client)
    except Exception as exc:
        mine = _translated(exc, url=repository.url, what=what)
        if mine is None:
            raise
        raise mine from exc
