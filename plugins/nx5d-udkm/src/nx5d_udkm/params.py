"""parameters.txt: ``key = value`` lines (``#`` starts a comment), read for the summary."""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_parameters"]


def read_parameters(path: Path) -> dict[str, str]:
    """Key -> value text. Raises ``OSError``/``ValueError`` naming the file and line."""
    out: dict[str, str] = {}
    text = path.read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep or not key.strip():
            msg = f"{path}: line {number}: expected 'key = value', got {raw.strip()[:60]!r}"
            raise ValueError(msg)
        out[key.strip()] = value.strip()
    return out
