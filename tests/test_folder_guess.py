"""Guessing folders of files: the adapters' shared helpers, and one listing per folder while
a repository is being opened."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from nx5d_core.folder_guess import guess_folder, guess_layout, member_names, shared_listings


def _tree(root: Path) -> Path:
    for proposal in ("p1", "p2", "p3"):
        for scan in ("s1", "s2"):
            (root / proposal / scan).mkdir(parents=True)
            (root / proposal / scan / "counters.csv").write_text("x\n1\n")
    (root / "p2" / "a.dat").write_text("")
    (root / "p2" / ".hidden.dat").write_text("")
    (root / "p3" / "b.dat").write_text("")
    return root


def _is_dat(path: Path) -> bool:
    return path.suffix == ".dat"


@pytest.fixture
def scandirs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The folders ``os.scandir`` is called on."""
    calls: Counter[str] = Counter()
    real = os.scandir

    def counting(path: str | os.PathLike[str]) -> os._ScandirIterator[str]:
        calls[os.fspath(path)] += 1
        return real(path)  # type: ignore[return-value]

    monkeypatch.setattr(os, "scandir", counting)
    return calls


def test_guesses_inside_the_block_list_each_folder_once(tmp_path: Path, scandirs: Counter[str]) -> None:  # fmt: skip
    root = _tree(tmp_path)
    (root / "p2" / "a.dat").unlink()  # members only in the third proposal folder
    alone = [guess_folder(str(root), _is_dat), guess_folder(str(root), lambda p: p.suffix == ".x")]
    assert scandirs[str(root)] == 4  # each guess lists it twice: its files, then its folders
    scandirs.clear()
    with shared_listings():
        shared = [guess_folder(str(root), _is_dat), guess_folder(str(root), lambda p: p.suffix == ".x")]  # fmt: skip
        listed = {str(root / p): scandirs[str(root / p)] for p in ("p1", "p2", "p3")}
        assert guess_layout(
            str(root), "/{proposal}/{scan}/counters.csv"
        )  # pathlib's glob lists too
    assert shared == alone == [True, False]
    assert scandirs[str(root)] == 1
    assert set(listed.values()) == {1}


def test_member_names_are_the_same_shared_or_not(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    alone = {p: member_names(root / p, _is_dat) for p in ("p1", "p2", "p3", "missing")}
    with shared_listings():
        shared = {p: member_names(root / p, _is_dat) for p in ("p1", "p2", "p3", "missing")}
    assert shared == alone == {"p1": [], "p2": ["a.dat"], "p3": ["b.dat"], "missing": []}


def test_nothing_is_kept_after_the_block(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with shared_listings():
        assert member_names(root / "p1", _is_dat) == []
    (root / "p1" / "new.dat").write_text("")
    assert member_names(root / "p1", _is_dat) == ["new.dat"]
    with shared_listings():
        assert member_names(root / "p1", _is_dat) == ["new.dat"]
