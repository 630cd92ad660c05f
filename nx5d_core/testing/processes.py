"""Processes a test starts that die with it: a server left running by a killed test run holds a
port, a data folder and memory until someone finds it.

On Linux each child asks the kernel for a signal when the thread that started it dies
(``PR_SET_PDEATHSIG``); :func:`dies_with_parent` is the ``preexec_fn`` that does so, and
:func:`popen` starts a process with it. Elsewhere the children are stopped by the tests
themselves, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["dies_with_parent", "pid_alive", "popen"]

_PR_SET_PDEATHSIG = 1


def dies_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent dies (Linux), or
    ``None`` where the platform has no such request."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def request() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)

    return request


def popen(args: list[str], *, sig: int = signal.SIGTERM, **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(args, **kwargs)`` whose process gets ``sig`` when this one dies."""
    return subprocess.Popen(args, preexec_fn=dies_with_parent(sig), **kwargs)  # noqa: PLW1509 - the child only asks for a signal


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (and is not a zombie we could reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
