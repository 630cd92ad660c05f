"""Which filesystem a folder is on, from the mount table: SQLite is not safe on network ones.

SQLite's documentation warns that its file locking is broken on many network filesystems and that
WAL needs shared memory on one host; a store on NFS, CIFS/SMB or a FUSE mount can lose records
without an error. :func:`network_filesystem` tells the SQLite store to refuse writing there.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "MOUNTINFO",
    "NETWORK_FS_ENV",
    "NETWORK_TYPES",
    "network_filesystem",
    "read_only_reason",
    "store_network",
]

NETWORK_FS_ENV = "NX5D_SPICE_ALLOW_NETWORK_FS"
"""Set to 1 to write a SQLite store on a network filesystem all the same."""

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


def store_network(path: Path) -> tuple[str, str] | None:
    """``(type, mount point)`` when the store file ``path`` is on a network filesystem (and
    :data:`NETWORK_FS_ENV` does not override it): such a store is read, never written."""
    if os.environ.get(NETWORK_FS_ENV) == "1":
        return None
    return network_filesystem(path.parent)


def read_only_reason(path: str, network: tuple[str, str] | None) -> str:
    """Why the store at ``path`` is not written (a network filesystem, or permissions)."""
    if network is not None:
        fstype, mount = network
        return (
            f"spice store {path!r} is on a network filesystem ({fstype} mounted at "
            f"{mount}), where SQLite's locking is not safe and records can be lost silently; "
            "it is read, never written. Use a PostgreSQL store "
            "(spice='postgresql://user@host/db', pip install 'nx5d-core[postgres]') or a "
            f"local disk; {NETWORK_FS_ENV}=1 overrides this for those who know their "
            "filesystem. Nothing written"
        )
    return f"spice store {path!r} is read-only (file or folder not writable); nothing written"
