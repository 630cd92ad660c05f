"""parameters.txt: ``key = value`` lines (``#`` starts a comment), read for the summary."""

from __future__ import annotations

from pathlib import Path

__all__ = ["parse_parameters", "read_parameters"]


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as acquisition PCs write it (``°``, ``µ``)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except (
            UnicodeDecodeError
        ):  # bytes cp1252 leaves undefined: every byte is a Latin-1 character
            return raw.decode("latin-1")


def read_parameters(path: Path) -> dict[str, str]:
    """Key -> value text. Raises ``OSError``/``ValueError`` naming the file and line."""
    return parse_parameters(path.read_bytes(), path=path)


def parse_parameters(content: bytes, *, path: Path | str) -> dict[str, str]:
    """Key -> value text from the bytes of a parameters file read from ``path``."""
    out: dict[str, str] = {}
    text = _decode(content)
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
