"""``scan.find(name)``: fields by exact name, path suffix, NeXus class path or declared alias.

Peers answer "where is the energy?" with substring matches (a temperature query returning the
beam lifetime). Here a field matches only exactly: its last name, the last components of its
path (``monochromator/energy``) or of its NeXus class path (``NXmonochromator/energy``). Aliases
(declared by the adapter or the named config: ``energy: [instrument/monochromator/energy, en]``)
are tried after the name itself, in order. Nearest to the entry (fewest components) first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .errors import KeyNotFoundError

__all__ = ["FieldPath", "find_fields"]

FieldPath = tuple[str, str]
"""(path inside the scan, class path) — e.g. ``("instrument/mono/energy", "NXinstrument/NXmonochromator/energy")``."""


def _matches(query: str, field: FieldPath) -> bool:
    wanted = [p for p in query.strip("/").split("/") if p]
    if not wanted:
        return False
    for candidate in field:
        parts = [p for p in candidate.strip("/").split("/") if p]
        if len(parts) >= len(wanted) and parts[-len(wanted) :] == wanted:
            return True
    return False


def find_fields(
    name: str,
    fields: Sequence[FieldPath],
    *,
    aliases: Mapping[str, Iterable[str]],
    where: str,
) -> list[str]:
    """Paths of the fields that ``name`` (then each of its aliases) names, nearest first.

    Raises
    ------
    KeyNotFoundError
        Nothing matches; the message lists the closest field names.
    """
    found: list[str] = []
    for query in [name, *aliases.get(name, ())]:
        hits = [f for f in fields if _matches(query, f)]
        for path, _ in sorted(hits, key=lambda f: (f[0].count("/"), f[0])):
            if path not in found:
                found.append(path)
    if not found:
        names = sorted({f[0].rsplit("/", 1)[-1] for f in fields} | {f[0] for f in fields})
        raise KeyNotFoundError(name, kind="field", where=where, candidates=names)
    return found
