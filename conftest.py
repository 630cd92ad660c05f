"""Every test gets its own summary index file: none writes to the user's cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_index(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    path = tmp_path_factory.mktemp("index") / "index.sqlite"
    monkeypatch.setenv("NX5D_INDEX", str(path))
    return path
