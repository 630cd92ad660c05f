"""``nx5d search`` / ``nx5d index`` and the text form of queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nx5d_core
from nx5d_core.cli import main
from nx5d_core.queries import Comparison, Contains, FullText, In, Key, Regex, TimeRange
from nx5d_core.query_text import QuerySyntaxError, parse_query

pytest.importorskip("nx5d_udkm")
from nx5d_udkm.sample import make_listing_repository


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_listing_repository(tmp_path / "data", proposals=2, scans=10)


def test_parse_query_builds_the_query_objects() -> None:
    q = parse_query("type == 'ascan' and time > '2021-02-05' or num_frames >= 100")
    assert q == (Key("type") == "ascan") & (Key("time") > "2021-02-05") | (Key("num_frames") >= 100)
    assert parse_query("type in ['a', 'b']") == In("type", ["a", "b"])
    assert parse_query("text('InP 333')") == FullText("InP 333")
    assert parse_query("contains(description, 'InP')") == Contains("description", "InP")
    assert parse_query("regex(key, '^r1')") == Regex("key", "^r1")
    assert parse_query("'odd name' != 3") == Comparison("ne", "odd name", 3)
    since = parse_query("since('2021-02-05T00:00Z')")
    assert isinstance(since, TimeRange)
    assert since.since is not None
    assert since.since.isoformat() == "2021-02-05T00:00:00+00:00"


@pytest.mark.parametrize(
    "text",
    ["type = 3", "type == ascan", "__import__('os')", "1 < num_frames < 3", "type", "text()"],
)
def test_parse_query_refuses_what_is_not_a_query(text: str) -> None:
    with pytest.raises(QuerySyntaxError, match="cannot read the query"):
        parse_query(text)


def test_search_prints_a_table_in_time_order(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", str(root), "type == 'rocking'"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# proposal\tkey\ttype\tframes\ttime\tdescription"
    rows = [line.split("\t") for line in lines[1:]]
    expected = nx5d_core.open_repository(str(root), index=False).search(Key("type") == "rocking")
    assert [f"{r[0]}/{r[1]}" for r in rows] == expected.keys()
    assert rows
    assert all(r[2] == "rocking" for r in rows)
    times = [r[4] for r in rows]
    assert times == sorted(times)


def test_search_flags_and_json(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["search", str(root), "--since", "2021-02-06T00:00+01:00", "--text", "inp", "--json"]
    assert main(args) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows
    assert all(r["proposal"] == "20210206" and "InP" in r["description"] for r in rows)
    assert main(["search", str(root), "--proposal", "20210205", "--type", "alignment"]) == 0
    out = capsys.readouterr().out.splitlines()[1:]
    assert out
    assert all(
        line.split("\t")[:3] == ["20210205", line.split("\t")[1], "alignment"] for line in out
    )


def test_search_without_a_match_or_with_bad_text(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", str(root), "type == 'nothing-like-this'"]) == 1
    assert "no scan" in capsys.readouterr().err
    assert main(["search", str(root), "type = 'x'"]) == 2
    assert "cannot read the query" in capsys.readouterr().err
    # a date that is none is the query's error, never "no scan matches"
    for text in ("time > '2021-13-45'", "end_time < 'tomorrow-ish'"):
        assert main(["search", str(root), text]) == 2
        err = capsys.readouterr().err
        assert "is not a time" in err
        assert "no scan" not in err


def test_index_command_and_no_index(
    root: Path, private_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", str(root), "--no-index", "--text", "gan"]) == 0
    assert not private_index.exists()
    assert main(["index", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("indexed 20 scans of 2 proposals")
    assert private_index.exists()
