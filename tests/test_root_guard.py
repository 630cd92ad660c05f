"""The root guard resolves a path with the kernel where it can (one ``open(O_PATH)``) and with
``os.path.realpath`` otherwise: both ways must give the same path, or the same error, for every
kind of path a hostile or broken repository holds."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from nx5d_core.errors import OutsideRootError, SpecialFileError
from nx5d_core.paths import RootGuard, kernel_resolved


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "p" / "s").mkdir(parents=True)
    (root / "p" / "s" / "data.txt").write_text("x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("no")
    links = {
        "inside": "p/s/data.txt",
        "folder": "p/s",
        "escape": str(outside / "secret.txt"),
        "escape_dir": str(outside),
        "dangling": "p/s/nothing.txt",
        "dangling_out": str(outside / "nothing.txt"),
        "loop_a": "loop_b",
        "loop_b": "loop_a",
    }
    for name, target in links.items():
        (root / name).symlink_to(target)
    os.mkfifo(root / "fifo")
    return root


CASES = [
    "p/s/data.txt",
    "p/s/../s/data.txt",
    "inside",
    "folder/data.txt",
    "escape",
    "escape_dir/secret.txt",
    "folder/../../../outside/secret.txt",
    "dangling",
    "dangling_out",
    "loop_a",
    "fifo",
    "p/s",
    "missing/data.txt",
]


def _outcome(guard: RootGuard, path: str, how: str) -> str:
    try:
        if how == "file":
            return str(guard.file(path))
        if how == "folder":
            return str(guard.folder(path))
        return str(guard.resolve(path))
    except (OSError, OutsideRootError, SpecialFileError) as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("how", ["resolve", "file", "folder"])
@pytest.mark.parametrize("case", CASES)
def test_kernel_and_realpath_resolution_agree(tree: Path, case: str, how: str) -> None:
    guard = RootGuard.create(tree)
    if not guard.kernel_paths:
        pytest.skip("this system's kernel does not name open files in /proc/self/fd")
    slow = dataclasses.replace(guard, kernel_paths=False)
    path = str(tree / case)
    assert _outcome(guard, path, how) == _outcome(slow, path, how)


def test_the_kernel_path_is_what_realpath_gives(tree: Path) -> None:
    found = kernel_resolved(str(tree / "folder" / "data.txt"))
    if found is None:
        pytest.skip("this system's kernel does not name open files in /proc/self/fd")
    assert found[0] == os.path.realpath(tree / "p" / "s" / "data.txt")
    assert found[1].st_ino == (tree / "p" / "s" / "data.txt").stat().st_ino
    assert kernel_resolved(str(tree / "dangling")) is None  # left to realpath and its errors
    assert kernel_resolved(str(tree / "fifo")) is not None  # O_PATH does not block on it


def test_a_guard_outside_the_root_refuses_what_leads_out(tree: Path) -> None:
    guard = RootGuard.create(tree)
    with pytest.raises(OutsideRootError):
        guard.file(tree / "escape")
    with pytest.raises(OutsideRootError):
        guard.file(tree / "folder" / ".." / ".." / ".." / "outside" / "secret.txt")
    with pytest.raises(SpecialFileError):
        guard.file(tree / "fifo")
