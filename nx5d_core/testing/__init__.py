"""Test helpers for adapter authors: pytest fixtures and the conformance suite.

``from nx5d_core.testing import AdapterConformance`` (needs pytest).
"""

from __future__ import annotations

from typing import Any

__all__ = ["AdapterConformance"]


def __getattr__(name: str) -> Any:
    if name == "AdapterConformance":
        from .conformance import AdapterConformance

        return AdapterConformance
    msg = f"module 'nx5d_core.testing' has no attribute {name!r}"
    raise AttributeError(msg)
