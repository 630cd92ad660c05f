"""Serving repositories over HTTP with tiled (extra ``nx5d-core[serve]``).

The repository becomes a tiled tree: repository -> proposals -> scans -> the variables of
``scan.lazy()``. Tiled brings HTTP, API keys, multi-user authentication and its Python client;
this package only adapts the tree. See :func:`nx5d_core.serve.app.build_app` and ``nx5d serve``.
Importing this package imports nothing of tiled.
"""

from __future__ import annotations

__all__: list[str] = []
