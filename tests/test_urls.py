"""URL key patterns: the four forms of nx5d's documentation, listing, escaping, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nx5d_core.errors import InvalidKeyError, URLPatternError
from nx5d_core.keys import validate_key
from nx5d_core.urls import KeyPattern


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_form_scan_in_fragment(tmp_path: Path) -> None:
    pattern = KeyPattern.parse(f"file://{tmp_path}/{{proposal}}/data.h5#{{scan}}")
    loc = pattern.format(proposal="20210205", scan="r10")
    assert loc.path == f"{tmp_path}/20210205/data.h5"
    assert loc.fragment == "r10"
    assert not pattern.scan_in_path
    for p in ("20210205", "2021-11-01", "7"):
        _touch(tmp_path / p / "data.h5")
    (tmp_path / "empty").mkdir()
    assert pattern.list_proposals() == ["7", "2021-11-01", "20210205"]
    assert pattern.match_fragment("r10") == {"scan": "r10"}


def test_form_proposal_file_with_proposal_group(tmp_path: Path) -> None:
    pattern = KeyPattern.parse(
        f"file://{tmp_path}/{{proposal}}/{{proposal}}.h5#{{proposal}}/{{scan}}"
    )
    loc = pattern.format(proposal="mg32775-1", scan="k11-18014")
    assert loc.path == f"{tmp_path}/mg32775-1/mg32775-1.h5"
    assert loc.fragment == "mg32775-1/k11-18014"
    _touch(tmp_path / "mg32775-1" / "mg32775-1.h5")
    _touch(tmp_path / "other" / "different.h5")
    assert pattern.list_proposals() == ["mg32775-1"]
    assert pattern.match_fragment("mg32775-1/k11-18014", proposal="mg32775-1") == {
        "proposal": "mg32775-1",
        "scan": "k11-18014",
    }
    assert pattern.match_fragment("other/k11", proposal="mg32775-1") is None


def test_form_one_file_for_everything(tmp_path: Path) -> None:
    pattern = KeyPattern.parse(f"file://{tmp_path}/d.hdf#{{proposal}}/{{scan}}")
    loc = pattern.format(proposal="p1", scan="s2")
    assert (loc.path, loc.fragment) == (f"{tmp_path}/d.hdf", "p1/s2")
    assert pattern.format(proposal="p1").fragment == "p1"
    assert pattern.match_fragment("p1/s2") == {"proposal": "p1", "scan": "s2"}
    with pytest.raises(URLPatternError, match="keeps proposals inside a file"):
        pattern.list_proposals()


def test_form_file_per_scan_with_fixed_fragment(tmp_path: Path) -> None:
    pattern = KeyPattern.parse(f"file://{tmp_path}/{{proposal}}/{{proposal}}-{{scan}}.h5#data/")
    loc = pattern.format(proposal="2021-02-05", scan="091726")
    assert loc.path == f"{tmp_path}/2021-02-05/2021-02-05-091726.h5"
    assert loc.fragment == "data/"
    for scan in ("091726", "10", "9", "r-1"):
        _touch(tmp_path / "2021-02-05" / f"2021-02-05-{scan}.h5")
    _touch(tmp_path / "2021-02-05" / "unrelated.txt")
    assert pattern.list_proposals() == ["2021-02-05"]
    assert pattern.list_scans("2021-02-05") == ["9", "10", "091726", "r-1"]
    assert pattern.match_path(loc.path) == {"proposal": "2021-02-05", "scan": "091726"}


def test_udkm_folder_layout_and_glob_special_characters(tmp_path: Path) -> None:
    root = tmp_path / "odd[1]"
    pattern = KeyPattern.parse(f"{root}/{{proposal}}/{{scan}}/manifest.dat")
    for scan in ("091726", "101500"):
        _touch(root / "20210205" / scan / "manifest.dat")
    (root / "20210205" / "no-manifest").mkdir()
    assert pattern.list_proposals() == ["20210205"]
    assert pattern.list_scans("20210205") == ["091726", "101500"]


def test_memory_filesystem() -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/nx5dtest/p1/r1.h5", b"x")
    fs.pipe("/nx5dtest/p1/r10.h5", b"x")
    fs.pipe("/nx5dtest/p1/r2.h5", b"x")
    pattern = KeyPattern.parse("memory://nx5dtest/{proposal}/{scan}.h5")
    assert pattern.protocol == "memory"
    assert pattern.list_scans("p1") == ["r1", "r2", "r10"]
    assert pattern.format(proposal="p1", scan="r2").url == "memory://nx5dtest/p1/r2.h5"


def test_missing_root_raises_instead_of_empty_listing(tmp_path: Path) -> None:
    pattern = KeyPattern.parse(f"file://{tmp_path}/nowhere/{{proposal}}/{{scan}}.h5")
    with pytest.raises(FileNotFoundError, match="repository root .*nowhere' does not exist"):
        pattern.list_proposals()


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("file:///d/{proposal}/data.h5", r"no \{scan\}"),
        ("file:///d/{scan}.h5", r"no \{proposal\}"),
        ("file:///d/{proposal}/{run}.h5", r"field \{run\}"),
        ("file:///d/{proposal/{scan}", "unbalanced"),
        ("file:///d/{proposal!r}/{scan}", "only"),
        ("file:///d/{scan}.h5#{proposal}", "puts"),
        ("", "non-empty"),
    ],
)
def test_malformed_patterns(url: str, match: str) -> None:
    with pytest.raises(URLPatternError, match=match):
        KeyPattern.parse(url)


@pytest.mark.parametrize("key", ["..", "a/b", "../../etc", ".", "", "x\\y"])
def test_key_escaping_root_is_rejected(key: str) -> None:
    pattern = KeyPattern.parse("file:///d/{proposal}/{scan}.h5")
    with pytest.raises(InvalidKeyError):
        pattern.format(proposal="p", scan=key)
    with pytest.raises(InvalidKeyError):
        pattern.format(proposal=key, scan="s")


_KEY = st.text(
    alphabet=st.characters(blacklist_characters="/\\#{}", blacklist_categories=["Cc", "Cs"]),
    min_size=1,
    max_size=12,
).filter(lambda k: k.strip() == k and k not in {".", ".."})
_FORMS = [
    "file:///d/{proposal}/data.h5#{scan}",
    "file:///d/{proposal}/{proposal}.h5#{proposal}/{scan}",
    "file:///d.hdf#{proposal}/{scan}",
    "file:///d/{proposal}/{proposal}-{scan}.h5#data/",
    "file:///d/{proposal}/{scan}/manifest.dat",
]


@given(form=st.sampled_from(_FORMS), proposal=_KEY, scan=_KEY)
def test_format_then_parse_gives_keys_back(form: str, proposal: str, scan: str) -> None:
    validate_key(proposal)
    validate_key(scan)
    pattern = KeyPattern.parse(form)
    loc = pattern.format(proposal=proposal, scan=scan)
    found = dict(pattern.match_path(loc.path, proposal=proposal) or {})
    if loc.fragment is not None:
        found.update(pattern.match_fragment(loc.fragment, proposal=proposal) or {})
    assert found.get("proposal") == proposal
    assert found.get("scan") == scan
