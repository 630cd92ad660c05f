"""What one server may spend: the largest response, the bytes read at once, how long a send waits.

Every read a request makes declares its size (from the structure: shape x item size) before a
frame is read. A size above ``max_response_bytes`` answers 413 at once; a large read waits for
room in a byte budget shared by all requests (``read_budget_bytes``) and gives it back when its
response has been sent, so concurrent heavy reads cannot add up past the budget. A read that
waits longer than ``budget_wait_seconds`` answers 503.
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import dataclass, field

from fastapi import HTTPException

__all__ = [
    "ByteBudget",
    "Limits",
    "Ticket",
    "check_total",
    "fits",
    "refuse_export",
    "reserve",
    "ticket",
]

MiB = 1024 * 1024
TOO_LARGE = 413
BUSY = 503


@dataclass(frozen=True, kw_only=True)
class Limits:
    """The server's bounds (defaults suit a 2-core, 8 GB machine and tiled's 100 MiB client
    slices)."""

    max_response_bytes: int = 256 * MiB
    """The largest read one response may need (declared size, before compression)."""
    read_budget_bytes: int = 256 * MiB
    """Bytes that all requests together may hold between their read and their last send."""
    small_read_bytes: int = 4 * MiB
    """Reads up to this size skip the budget (single frames never wait behind bulk reads)."""
    budget_wait_seconds: float = 60.0
    send_timeout_seconds: float = 30.0
    """A response chunk a client has not taken in this time ends the connection."""
    min_send_rate: float = MiB / 8
    """Bytes per second a client must take on average (after the first send timeout): 128 KiB/s
    (1 Mbit/s) lets a remote user on a slow link finish a full-size response in half an hour."""

    def __post_init__(self) -> None:
        if self.max_response_bytes <= 0 or self.read_budget_bytes < self.max_response_bytes:
            msg = (
                f"read_budget_bytes ({self.read_budget_bytes}) must be at least "
                f"max_response_bytes ({self.max_response_bytes}), and both positive"
            )
            raise ValueError(msg)


class ByteBudget:
    """A counting budget of bytes shared by threads (reads run in tiled's thread pool)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0
        self._cond = threading.Condition()

    def take(self, nbytes: int, *, timeout: float) -> bool:
        """Take ``nbytes`` (waiting up to ``timeout`` s for room); whether it was taken."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.used + nbytes > self.total:
                left = deadline - time.monotonic()
                timed_out = left <= 0 or not self._cond.wait(left)
                if timed_out and self.used + nbytes > self.total:
                    return False
            self.used += nbytes
            return True

    def give(self, nbytes: int) -> None:
        with self._cond:
            self.used -= nbytes
            self._cond.notify_all()


@dataclass(kw_only=True)
class Ticket:
    """What one request holds of the budget (released when its response is sent)."""

    limits: Limits
    budget: ByteBudget
    held: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def release(self) -> None:
        with self.lock:
            held, self.held = self.held, 0
        if held:
            self.budget.give(held)


_TICKET: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar("nx5d_serve_ticket", default=None)  # fmt: skip


def ticket() -> contextvars.ContextVar[Ticket | None]:
    """The context variable holding the current request's :class:`Ticket`."""
    return _TICKET


def reserve(nbytes: int, *, what: str) -> None:
    """Account for a read of ``nbytes`` by the current request, before it is made.

    Raises
    ------
    HTTPException
        413 when ``nbytes`` (or the request's total) exceeds ``max_response_bytes``; 503 when
        the budget has no room within ``budget_wait_seconds``.
    """
    current = _TICKET.get()
    if current is None:  # not inside a served request (a direct call in Python)
        return
    limits = current.limits
    with current.lock:
        total = current.held + nbytes
    if nbytes > limits.max_response_bytes or total > limits.max_response_bytes:
        detail = (
            f"{what} is {nbytes / MiB:.1f} MiB, more than this server's limit of "
            f"{limits.max_response_bytes / MiB:.0f} MiB per response: ask for a slice "
            "(the tiled client's .read() does so by itself) or a block"
        )
        raise HTTPException(status_code=TOO_LARGE, detail=detail)
    if nbytes <= limits.small_read_bytes:
        return
    if not current.budget.take(nbytes, timeout=limits.budget_wait_seconds):
        detail = f"the server is busy with other large reads; {what} was not read: ask again"
        raise HTTPException(status_code=BUSY, detail=detail, headers={"Retry-After": "5"})
    with current.lock:
        current.held += nbytes


def fits(nbytes: int) -> bool:
    """Whether the current request could read ``nbytes`` more within its response limit."""
    current = _TICKET.get()
    if current is None:
        return True
    with current.lock:
        return current.held + nbytes <= current.limits.max_response_bytes


def refuse_export(what: str) -> HTTPException:
    """The 413 for a request that would read ``what`` whole (a proposal, the repository)."""
    detail = f"{what} is not exported whole: read its scans one at a time"
    return HTTPException(status_code=TOO_LARGE, detail=detail)


def check_total(nbytes: int, *, what: str) -> None:
    """413 now when ``nbytes`` (the declared total of a request) exceeds the response limit."""
    current = _TICKET.get()
    if current is not None and nbytes > current.limits.max_response_bytes:
        reserve(nbytes, what=what)  # raises the 413 with the limit in its message
