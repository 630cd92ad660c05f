"""Progress bars that fit where they run: a widget bar in a notebook with ipywidgets, a text bar
in a notebook without them and on a terminal, nothing when output is not interactive and no bar
was asked for (no ``IProgress not found`` noise)."""

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


def _has_widgets() -> bool:
    return importlib.util.find_spec("ipywidgets") is not None


def progress_bar(*, total: int, desc: str, unit: str, show: bool | None) -> Any:
    """A tqdm bar: ``show=None`` shows it for work longer than about a second where output is
    interactive (a terminal or a notebook), ``True`` from the start wherever output goes,
    ``False`` never.

    A notebook's output is not a terminal, so tqdm's own test would hide the bar there: a
    notebook gets the widget bar, or tqdm's text bar when ipywidgets is not installed.
    """
    notebook = _notebook()
    if notebook and _has_widgets():
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    if show is False:
        disable: bool | None = True
    elif show or notebook:
        disable = False
    else:
        disable = None  # tqdm: shown on a terminal only
    return tqdm(
        total=total,
        unit=unit,
        desc=desc,
        delay=0.0 if show else 1.0,
        disable=disable,
        leave=bool(show),
        file=sys.stderr,
    )
