"""Authentication settings for ``nx5d serve``: tiled's config loader, and no weak secrets.

A tiled configuration file is read by tiled's own loader (YAML with ``$VAR``/``${VAR}`` replaced by
the environment's values). Before a server starts, every secret must be real: a value still
holding a placeholder (its variable unset), an empty password, missing or short signing keys
stop it with an error naming each one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import Nx5dError

__all__ = ["MIN_SECRET_KEY_LENGTH", "WeakSecretError", "check_secrets", "load_authentication"]

MIN_SECRET_KEY_LENGTH = 32
_PLACEHOLDER = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class WeakSecretError(Nx5dError, ValueError):
    """An authentication setting a server must not start with (each problem listed)."""

    def __init__(self, *, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = list(problems)
        super().__init__(f"{where}: the server does not start: " + "; ".join(problems))

    def __reduce__(self) -> Any:
        return (_rebuild, (self.where, self.problems))


def _rebuild(where: str, problems: list[str]) -> WeakSecretError:
    return WeakSecretError(where=where, problems=problems)


def load_authentication(path: str | Path) -> dict[str, Any]:
    """The ``authentication:`` section of the tiled configuration ``path``, its environment
    variables expanded by tiled's loader and its secrets checked (:func:`check_secrets`)."""
    from tiled.utils import parse

    path = Path(path)
    config = parse(path)
    section = config.get("authentication") if isinstance(config, Mapping) else None
    if not isinstance(section, Mapping):
        msg = f"{path} has no authentication: section"
        raise ValueError(msg)  # noqa: TRY004 - a configuration's content, not an argument's type
    check_secrets(section, where=str(path))
    return dict(section)


def check_secrets(section: Mapping[str, Any], *, where: str) -> None:
    """Refuse an ``authentication`` section whose secrets are placeholders, empty or missing.

    Raises
    ------
    WeakSecretError
        Naming every setting at fault (``authentication.providers[0].args...``).
    """
    problems: list[str] = []
    _walk(section, "authentication", problems, secret=False)
    keys = section.get("secret_keys")
    if section.get("providers") and not keys:
        problems.append(
            "authentication.secret_keys is missing: tokens would be signed with a key made up at "
            "start; set one (e.g. secret_keys: [${TILED_SECRET_KEY}] with a key from "
            "`openssl rand -hex 32` in the environment)"
        )
    for n, key in enumerate(keys or []):
        if isinstance(key, str) and key and not _PLACEHOLDER.search(key) and len(key) < MIN_SECRET_KEY_LENGTH:  # fmt: skip
            problems.append(
                f"authentication.secret_keys[{n}] has {len(key)} characters, fewer than "
                f"{MIN_SECRET_KEY_LENGTH} (use `openssl rand -hex 32`)"
            )
    if problems:
        raise WeakSecretError(where=where, problems=problems)


def _walk(value: Any, at: str, problems: list[str], *, secret: bool) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            inner = secret or key in {"args", "secret_keys"}
            _walk(item, f"{at}.{key}", problems, secret=inner)
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            _walk(item, f"{at}[{n}]", problems, secret=secret)
    elif isinstance(value, str):
        found = _PLACEHOLDER.search(value)
        if found:
            name = found.group(1) or found.group(2)
            problems.append(f"{at} is still {found.group(0)!r}: the environment variable {name} is not set")  # fmt: skip
        elif secret and not value.strip():
            problems.append(f"{at} is empty")
    elif value is None and secret:
        problems.append(f"{at} is empty")
