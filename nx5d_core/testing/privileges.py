"""Run code without the power to ignore file permissions, for permission tests run as root.

As root every file is readable, so a test of a mode-000 folder proves nothing. This runs a
Python snippet in a child process that has lost ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH`` (util-linux ``setpriv``): file modes apply to it as to any user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = ["can_test_permissions", "run_unprivileged"]


def can_test_permissions() -> tuple[bool, str]:
    """Whether permission tests can mean something here, and if not, why."""
    if os.geteuid() != 0:
        return True, ""
    if shutil.which("setpriv") is None:
        return False, "running as root without util-linux setpriv to drop CAP_DAC_OVERRIDE"
    return True, ""


def run_unprivileged(code: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -c code`` where file permissions are enforced; returns the finished process."""
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
