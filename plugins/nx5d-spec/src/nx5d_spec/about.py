"""What nx5d knows of the SPEC adapter before importing it (no xarray): name, description,
patterns and a guess by content."""

from __future__ import annotations

from pathlib import Path

NAME = "spec"
DESCRIPTION = "SPEC files: a file is a proposal, its #S scans are scans (MCA, mesh, headers)."
URL_PATTERNS = ("*{proposal}*#{scan}", "<a SPEC file, recognised by its #F/#E/#S lines>")
VERSION = "0.1.0"


def guess_can_open(url: str) -> bool:
    """A local file (or the first file a pattern matches) whose first lines are SPEC's."""
    from nx5d_core.urls import KeyPattern

    from .index import looks_like_spec

    if "{" in url:
        try:
            pattern = KeyPattern.parse(url)
            keys = pattern.list_proposals() if pattern.fragment else []
        except (OSError, ValueError):
            return False
        if not keys:
            return False
        path = Path(pattern.format(proposal=keys[0]).path)
    else:
        path = Path(url.removeprefix("file://"))
    try:
        if not path.is_file():
            return False
        with path.open("rb") as stream:
            return looks_like_spec(stream.read(4096))
    except OSError:
        return False
