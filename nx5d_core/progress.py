"""Progress bars that fit where they run: a widget bar in a notebook with ipywidgets, a console
bar on a terminal, nothing when output is not interactive (no ``IProgress not found`` noise)."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

__all__ = ["progress_bar"]


def _notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        name = type(shell.get_ipython()).__name__
    except Exception:  # noqa: BLE001 - any doubt: not a notebook
        return False
    return bool(name == "ZMQInteractiveShell")


def progress_bar(*, total: int, desc: str, unit: str, show: bool | None) -> Any:
    """A tqdm bar: ``show=None`` shows it for work longer than about a second and only when
    interactive, ``True`` from the start, ``False`` never."""
    if _notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(
        total=total,
        unit=unit,
        desc=desc,
        delay=0.0 if show else 1.0,
        disable=True if show is False else None,
        leave=bool(show),
    )
