"""Opening HDF5/NeXus data as users point at it, without a hand-written pattern.

- a **file** is a proposal (named by the file without its suffix) whose entries are scans;
- a **folder of HDF5 files** is a proposal (named by the folder) whose files are scans;
- a **folder of such folders** is a repository.

The rule turns the path into a pattern (``{proposal}``/``{scan}``) and names the only proposal
where there is one. Anything else keeps the pattern form.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nx5d_core.folder_guess import folder_entries

__all__ = ["HDF5_SUFFIX", "Pointed", "point_at"]
logger = logging.getLogger(__name__)

HDF5_SUFFIX = re.compile(r"\.(h5|hdf5|hdf|he5|nxs|nx5|nexus)\Z", re.IGNORECASE)
_SAMPLE = 200  # folder entries looked at to decide what a folder holds


@dataclass(frozen=True)
class Pointed:
    """The pattern for a pointed-at path, and the one proposal it holds (if it is one)."""

    pattern: str
    only_proposal: str | None
    scans_are_files: bool


def _hdf5_files(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            names = [e.name for _, e in zip(range(_SAMPLE * 10), entries, strict=False)]
    except OSError:
        return []
    out = []
    for name in names:
        if HDF5_SUFFIX.search(name) and (folder / name).is_file():
            out.append(name)
    return out


def _has_files(folder: Path) -> bool:
    try:  # the listing the other adapters' guesses share while a repository is opened
        return bool(folder_entries(folder)[0])
    except OSError:
        return False


def _suffix(names: list[str]) -> str | None:
    """The one HDF5 suffix every file has, or ``None`` if they differ (keys are then file names)."""
    found = Counter(HDF5_SUFFIX.search(n).group(0) for n in names)  # type: ignore[union-attr]
    return next(iter(found)) if len(found) == 1 else None


def point_at(path: Path, *, strict: bool = True) -> Pointed | None:
    """The pattern for ``path`` (a file, a folder of files, a folder of folders), else ``None``.

    A folder of folders some of which hold files but no HDF5 file is a mixture: ``None`` when
    ``strict`` (guessing an adapter never claims it), else the HDF5 folders, the others named in
    a warning (the operator chose the adapter)."""
    if path.is_file():
        found = HDF5_SUFFIX.search(path.name)
        if found is None:
            return None
        stem = path.name[: found.start()]
        return Pointed(f"{path.parent}/{{proposal}}{found.group(0)}#{{scan}}", stem, False)
    if not path.is_dir():
        return None
    files = _hdf5_files(path)
    if files:
        suffix = _suffix(files)
        scan = "{scan}" + (suffix or "")
        return Pointed(f"{path.parent}/{{proposal}}/{scan}", path.name, True)
    try:
        with os.scandir(path) as entries:
            folders = [Path(e.path) for e in entries if e.is_dir()]
    except OSError:
        return None
    per_folder = {folder: _hdf5_files(folder) for folder in sorted(folders)[:_SAMPLE]}
    inner = [name for names in per_folder.values() for name in names]
    if not inner:
        return None  # no HDF5 here (the other folders are not looked into again)
    others = [f.name for f, names in per_folder.items() if not names and _has_files(f)]
    if others and strict:
        return None  # folders of other files beside: not an HDF5 repository
    if others:
        logger.warning("%s: folders without HDF5 files are not proposals: %s", path, ", ".join(others[:5]))  # fmt: skip

    suffix = _suffix(inner)
    return Pointed(f"{path}/{{proposal}}/{{scan}}{suffix or ''}", None, True)
