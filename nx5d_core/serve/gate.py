"""The ASGI gate in front of tiled: what reaches tiled at all, and how responses leave.

- **Routes.** Only tiled's ``/api/v1`` API (every route of which checks the caller's scopes; the
  route-table test holds tiled to that) and ``/healthz`` are served. Everything else tiled
  mounts (zarr v2/v3, the web UI, static files, OpenAPI pages, custom routers, and whatever a
  tiled upgrade adds) answers 404 without reaching it. The tree is read-only: writes answer 405.
- **Requests.** Query filters must name a registered query and decode (else 400 naming it);
  page offsets and limits are bounded integers.
- **Responses.** A large body is sent in chunks, each within ``send_timeout_seconds`` and at an
  average of at least ``min_send_rate``; a client that stops reading loses the connection and
  the bytes it pinned. The request's share of the read budget is released when it ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl

from .limits import ByteBudget, Limits, Ticket, ticket

__all__ = ["ALLOWED_UNAUTHENTICATED", "Gate", "served_route"]
logger = logging.getLogger(__name__)

ALLOWED_UNAUTHENTICATED = frozenset({"/healthz", "/api/v1/", "/api/v1/auth/"})
"""Paths (``/api/v1/auth/`` as a prefix) served without credentials: the health check, the
server's description a client reads to learn how to log in, and the login routes themselves."""

_API = "/api/v1/"
_READ_BY_POST = re.compile(r"^/api/v1/(container|table|awkward)/full/")
_FILTER = re.compile(r"^filter\[([^\]]+)\]\[condition\]\[([^\]]+)\]$")
_PAGE = re.compile(r"^page\[(offset|limit)\]$")
MAX_PAGE = 2**31 - 1
CHUNK = 1024 * 1024


def served_route(method: str, path: str) -> int:
    """0 when a request may reach tiled, else the status the gate answers (404 or 405)."""
    if path == "/healthz":
        return 0 if method in {"GET", "HEAD"} else 405
    if not (path == _API.rstrip("/") or path.startswith(_API)):
        return 404
    if path.startswith("/api/v1/auth/"):
        return 0  # tiled's own login, refresh, revoke and API-key routes
    if method in {"GET", "HEAD"}:
        return 0
    if method == "POST" and _READ_BY_POST.match(path):
        return 0
    return 405


class Gate:
    """ASGI wrapper around tiled's app (see the module's notes)."""

    def __init__(self, app: Any, *, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self.budget = ByteBudget(limits.read_budget_bytes)

    def __getattr__(self, name: str) -> Any:  # the FastAPI app's attributes (state, routes)
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        if kind != "http":  # websockets: nothing here streams
            await send({"type": "websocket.close", "code": 1008})
            return
        status = served_route(scope.get("method", "GET"), scope.get("path", ""))
        problem = "not served here" if status else _bad_query(scope.get("query_string", b""))
        if status or problem:
            await _answer(send, status or 400, problem)
            return
        current = Ticket(limits=self.limits, budget=self.budget)
        token = ticket().set(current)
        try:
            await self.app(scope, receive, _Sender(send, self.limits))
        finally:
            ticket().reset(token)
            current.release()


class _Sender:
    """``send`` with large bodies cut into chunks, each sent within the limits' time."""

    def __init__(self, send: Any, limits: Limits) -> None:
        self.send = send
        self.limits = limits
        self.started = time.monotonic()
        self.sent = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        body = message.get("body", b"")
        if message.get("type") != "http.response.body" or len(body) <= CHUNK:
            await self._timed(message, len(body))
            return
        more = bool(message.get("more_body", False))
        view = memoryview(body)
        for start in range(0, len(body), CHUNK):
            last = start + CHUNK >= len(body)
            piece = bytes(view[start : start + CHUNK])
            await self._timed(
                {"type": "http.response.body", "body": piece, "more_body": more or not last},
                len(piece),
            )

    async def _timed(self, message: dict[str, Any], nbytes: int) -> None:
        limits = self.limits
        self.sent += nbytes
        allowed = limits.send_timeout_seconds + self.sent / limits.min_send_rate
        left = min(limits.send_timeout_seconds, allowed - (time.monotonic() - self.started))
        try:
            await asyncio.wait_for(self.send(message), timeout=max(left, 0.001))
        except TimeoutError:
            logger.warning(
                "a client took %d bytes in %.0f s, too slowly: connection ended",
                self.sent - nbytes,
                time.monotonic() - self.started,
            )
            raise


async def _answer(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _bad_query(raw: bytes) -> str:
    """What is wrong with the request's filters and paging, or ``""``."""
    from tiled.query_registration import default_query_registry

    registry = default_query_registry.name_to_query_type
    filters: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, value in parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True):
        page = _PAGE.match(name)
        if page:
            if not value.isdigit() or int(value) > MAX_PAGE:
                return f"{name} must be an integer from 0 to {MAX_PAGE}, got {value!r}"
            continue
        match = _FILTER.match(name)
        if match is None:
            if name.startswith("filter["):
                return f"query parameter {name!r} is not a filter (filter[<query>][condition][<field>])"
            continue
        query, field = match.groups()
        if query not in registry:
            return f"unknown query {query!r}; this server knows: {', '.join(sorted(registry))}"
        filters[query][field].append(value)
    for query, fields in filters.items():
        for i in range(max(len(v) for v in fields.values())):
            try:
                registry[query].decode(**{f: v[i] for f, v in fields.items() if i < len(v)})
            except Exception as exc:  # noqa: BLE001 - any decoding failure is the client's
                return f"query {query!r} cannot be read: {type(exc).__name__}: {exc}"
    return ""
