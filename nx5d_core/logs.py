"""Warnings that repeat once per scan, aggregated: the first few, then a count now and then.

Listing 20,000 scans that all lack the same file must not print 20,000 lines. A
:class:`RepeatFilter` lets the first ``show`` records of one message template through, then
only one at each power of ten (10, 100, 1,000...), marked with the count so far. Attach it to a
logger that warns per scan (:func:`quiet_repeats`) or to a handler (the CLI does, to the one it
makes: every plugin's repeated warnings are aggregated there).
"""

from __future__ import annotations

import logging
import threading

__all__ = ["RepeatFilter", "quiet_repeats"]


class RepeatFilter(logging.Filter):
    """Pass the first ``show`` records of each (logger, level, template), then one at each
    power of ten with ``[repeated N times so far]`` appended."""

    def __init__(self, *, show: int = 3) -> None:
        super().__init__()
        self.show = show
        self._counts: dict[tuple[str, int, str], int] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        with self._lock:
            count = self._counts[key] = self._counts.get(key, 0) + 1
        if count <= self.show:
            return True
        if count >= 10 and str(count).strip("0") == "1":  # 10, 100, 1000...
            record.msg = f"{record.msg} [repeated {count} times so far; the others not shown]"
            return True
        return False


_FILTER = RepeatFilter()


def quiet_repeats(logger: logging.Logger) -> logging.Logger:
    """``logger`` with the shared :class:`RepeatFilter` (once), for warnings given per scan."""
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
