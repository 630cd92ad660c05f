"""Connecting to a tiled server and reading from it with nx5d's errors: an unreachable or
silent server is :class:`~nx5d_core.errors.RemoteUnavailableError` (no answer within
``NX5D_REMOTE_TIMEOUT`` seconds, default 30), a refused key :class:`BlueskyAuthError`. A URL
without ``://`` names a tiled profile (``tiled profile list``): its ``uri``, ``headers`` (an
``Authorization: Apikey ...`` header among them), ``verify`` and ``timeout`` are used. A
profile's interactive login (``username``, ``auth_provider``) is not done: the server's refusal
is :class:`BlueskyAuthError`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from nx5d_core.errors import ConfigError, RemoteUnavailableError
from nx5d_core.remote_fs import timeout_seconds

from .errors import BlueskyAuthError

if TYPE_CHECKING:
    from .adapter import BlueskyRepository

__all__ = ["connect", "fetch", "translated"]
T = TypeVar("T")
_PROFILE_KEYS = {"uri", "headers", "verify", "timeout", "structure_clients", "cache", "max_connections", "username", "auth_provider", "token_cache"}  # fmt: skip


def translated(exc: Exception, *, url: str, what: str) -> Exception | None:
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
    if isinstance(exc, httpx.TimeoutException):
        return RemoteUnavailableError(f"{url}: the tiled server gave no answer within {timeout_seconds():g} s (NX5D_REMOTE_TIMEOUT) while reading {what}")  # fmt: skip
    if isinstance(exc, httpx.TransportError):
        return RemoteUnavailableError(f"{url}: the tiled server cannot be reached ({type(exc).__name__}: {exc}) while reading {what}")  # fmt: skip
    return None


def _profile(name: str) -> dict[str, Any]:
    """The connection settings of the tiled profile ``name``.

    Raises
    ------
    ConfigError
        No such profile, or one that is not a server's (``direct:`` serves files in this
        process, outside any repository root nx5d guards).
    """
    from tiled.profiles import load_profiles, paths

    profiles = load_profiles()
    if name not in profiles:
        msg = f"{name!r} is neither a URL (http://host:port[/path]) nor a tiled profile; profiles: {sorted(profiles)} in {[str(p) for p in paths]}"  # fmt: skip
        raise ConfigError(msg)
    source, content = profiles[name]
    unknown = sorted(set(content) - _PROFILE_KEYS)
    if "uri" not in content or unknown:
        msg = f"tiled profile {name!r} ({source}) is not a server's: nx5d reads profiles with 'uri' (and {sorted(_PROFILE_KEYS - {'uri'})}), not {unknown or 'one without uri'}"  # fmt: skip
        raise ConfigError(msg)
    return dict(content)


def _timeout(profile: Mapping[str, Any]) -> Any:
    import httpx

    seconds = timeout_seconds()
    given = profile.get("timeout")
    if isinstance(given, Mapping):
        return httpx.Timeout(**{"timeout": seconds, **given})
    return httpx.Timeout(seconds if given is None else float(given))


def connect(url: str, *, api_key: str | None) -> Any:
    """The tiled client of ``url`` or of the tiled profile named ``url`` (``api_key`` None:
    tiled's own ``TILED_API_KEY``, or the profile's ``Authorization`` header)."""
    from tiled.client.constructors import from_context
    from tiled.client.context import Context

    profile = {"uri": url} if "://" in url else _profile(url)
    given = profile.get("headers")
    headers: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    for name in [h for h in headers if h.lower() == "authorization"]:
        scheme, _, value = str(headers[name]).partition(" ")
        if scheme.lower() == "apikey" and api_key is None:  # tiled asks for the key itself
            api_key = value.strip()
            del headers[name]
    context = None
    try:
        context, path = Context.from_any_uri(
            profile["uri"],
            api_key=api_key,
            headers=headers,
            verify=profile.get("verify", True),
            timeout=_timeout(profile),
        )
        return from_context(context, node_path_parts=path)
    except Exception as exc:
        if context is not None:  # a refused key: the connections opened so far are closed
            context.close()
        mine = translated(exc, url=url, what="its root")
        if mine is None and isinstance(exc, RuntimeError) and "requires API key" in str(exc):
            mine = BlueskyAuthError(f"{url} asks for an API key: give api_key=... or set TILED_API_KEY")  # fmt: skip
        if mine is None:
            raise
        raise mine from exc


def fetch(repository: BlueskyRepository, read: Callable[[Any], T], *, what: str) -> T:
    """``read(repository.client)``, with tiled's and HTTP's errors as nx5d's."""
    client = repository.client
    try:
        return read(client)
    except Exception as exc:
        mine = translated(exc, url=repository.url, what=what)
        if mine is None:
            raise
        raise mine from exc
