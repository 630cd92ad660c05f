"""Which filesystem a folder is on, from the mount table: SQLite is not safe on network ones.

SQLite's documentation warns that its file locking is broken on many network filesystems and that
WAL needs shared memory on one host; a store on NFS, CIFS/SMB or a FUSE mount can lose records
without an error. :func:`network_filesystem` tells the SQLite store to refuse writing there.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MOUNTINFO", "NETWORK_TYPES", "network_filesystem"]

MOUNTINFO = "/proc/self/mountinfo"
"""The mount table read (Linux); elsewhere nothing is detected."""
NETWORK_TYPES = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p",
        "ceph", "glusterfs", "lustre", "gpfs", "beegfs", "sshfs", "davfs", "fuse", "fuseblk",
    }
)  # fmt: skip
"""Filesystem types (and every ``fuse.*`` subtype) treated as network filesystems."""


def _unescape(text: str) -> str:
    """Mount table paths escape space, tab, newline and backslash as octal (``\\040``)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 4 <= len(text) and text[i + 1 : i + 4].isdigit():
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _mounts(table: str) -> list[tuple[str, str]]:
    """``(mount point, filesystem type)`` of every line of a ``mountinfo`` file."""
    out = []
    for line in table.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if len(fields) > dash + 1 and len(fields) > 4:
            out.append((_unescape(fields[4]), fields[dash + 1]))
    return out


def network_filesystem(folder: str | os.PathLike[str]) -> tuple[str, str] | None:
    """``(filesystem type, mount point)`` when ``folder`` is on a network filesystem, else ``None``."""
    try:
        table = Path(MOUNTINFO).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    path = os.path.realpath(folder)
    best: tuple[str, str] | None = None
    for mount, fstype in _mounts(table):  # the last, longest mount point containing the path wins
        inside = path == mount or path.startswith(mount.rstrip("/") + "/")
        if inside and (best is None or len(mount) >= len(best[0])):
            best = (mount, fstype)
    if best is None:
        return None
    mount, fstype = best
    if fstype in NETWORK_TYPES or fstype.startswith("fuse."):
        return fstype, mount
    return None
