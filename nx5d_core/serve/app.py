"""The tiled application of a repository, and running it with uvicorn.

Default: one API key (given, ``$NX5D_API_KEY``, or made up and printed once), no anonymous
access, listening on 127.0.0.1. ``public=True`` allows anonymous reading and must be asked for.
A tiled configuration's ``authentication`` section (for example tiled's dictionary
authenticator with several users) can be passed instead of the single key; its secrets are
checked (:func:`nx5d_core.serve.auth.check_secrets`). The app is tiled's behind a
:class:`~nx5d_core.serve.gate.Gate`: only tiled's authenticated API and the health check are
reachable, and every read is bounded by :class:`~nx5d_core.serve.limits.Limits`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from .auth import check_secrets
from .gate import Gate
from .limits import Limits
from .tree import build_tree

if TYPE_CHECKING:
    from ..repository import Repository

__all__ = ["API_KEY_ENV", "build_app", "new_api_key"]
logger = logging.getLogger(__name__)
API_KEY_ENV = "NX5D_API_KEY"


def new_api_key() -> str:
    """A fresh 32-byte key in hex (tiled wants letters and digits only)."""
    return secrets.token_hex(32)


def build_app(
    repository: Repository,
    *,
    api_key: str | None = None,
    public: bool = False,
    authentication: Mapping[str, Any] | None = None,
    include_paths: bool = False,
    relist_seconds: float = 2.0,
    limits: Limits | None = None,
) -> Any:
    """A FastAPI application serving ``repository`` through tiled.

    Parameters
    ----------
    api_key
        The single key clients must send (default ``$NX5D_API_KEY``); letters and digits.
    public
        Let clients without a key read (still with the key's rights for those who have it).
    authentication
        A tiled ``authentication`` section (providers, secret_keys, ...) instead of one key.
    include_paths
        Show server-side paths in metadata (default: made relative to the repository root).
    limits
        The largest response, the read budget shared by requests and the send timeouts
        (default :class:`~nx5d_core.serve.limits.Limits`).

    Raises
    ------
    WeakSecretError
        The authentication section holds placeholders, empty passwords or weak signing keys.
    """
    from tiled.config import Authentication
    from tiled.server.app import build_app as tiled_app

    limits = limits or Limits()
    tree = build_tree(repository, include_paths=include_paths, relist_seconds=relist_seconds)
    if authentication is not None:
        check_secrets(authentication, where="the authentication configuration")
        auth = Authentication.model_validate(
            {
                **authentication,
                "allow_anonymous_access": public
                or authentication.get("allow_anonymous_access", False),
            }
        )
    else:
        key = api_key or os.environ.get(API_KEY_ENV)
        if not key:
            msg = (
                f"give an API key (api_key=..., ${API_KEY_ENV}) or an authentication configuration"
            )
            raise ValueError(msg)
        if not key.isalnum():
            msg = "an API key must hold letters and digits only (tiled's rule)"
            raise ValueError(msg)
        auth = Authentication(single_user_api_key=key, allow_anonymous_access=public)
    settings = {"response_bytesize_limit": limits.max_response_bytes}
    app = tiled_app(tree, authentication=auth, server_settings=settings)
    _own_settings(app)
    # the gate sees the path exactly as tiled's router will (after the escapes are kept)
    return KeepReservedEscapes(Gate(app, limits=limits))


def _own_settings(app: Any) -> None:
    """Give ``app`` its own copy of tiled's settings.

    tiled's app writes its keys, limits and database into one process-wide ``Settings`` (its
    ``get_settings`` is cached), so a second app in the same process (tests, a benchmark, two
    servers) would inherit the first one's: another key, another limit, an authentication
    database it never closes. Each app here resolves its settings once from a fresh object.
    """
    from tiled.server.settings import get_settings

    resolve = app.dependency_overrides[get_settings]
    get_settings.cache_clear()
    own = resolve().model_copy(deep=True)
    get_settings.cache_clear()
    app.dependency_overrides[get_settings] = lambda: own


class KeepReservedEscapes:
    """ASGI wrapper: the request path is decoded except ``%25 %23 %3F %2F``, so a served key
    such as ``r%231`` (the scan ``r#1``) stays one path segment and tiled's links keep it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # the FastAPI app's attributes (state, routes)
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raw = scope.get("raw_path") if scope.get("type") == "http" else None
        if raw:
            path = raw.split(b"?", 1)[0]
            scope = {**scope, "path": _decode_keeping(path)}
        await self.app(scope, receive, send)


_KEEP = re.compile(rb"%(25|23|3[Ff]|2[Ff])")


def _decode_keeping(raw: bytes) -> str:
    """``raw`` percent-decoded, except the escapes in :data:`_KEEP` (kept, upper case)."""
    parts = _KEEP.split(raw)  # text, code, text, code, ..., text
    out = b"".join(
        unquote_to_bytes(part.decode("latin-1")) if n % 2 == 0 else b"%" + part.upper()
        for n, part in enumerate(parts)
    )
    return out.decode("utf-8", errors="replace")
