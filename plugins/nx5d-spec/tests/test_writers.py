"""SPEC conventions of particular writers, each in a small generated file (issue 25, items 6-10).

The writers: APS 30-ID HERIX (an aborted scan's last point split over two lines, the abort
comment glued on), old SPEC and APS USAXS (``#N 15 8``: points wrapped 8 values a line), APS
8-ID (tab-separated ``#O`` names), every SPEC version (``#E`` epoch and ``#D`` local time in the
file header), writers that separate only multi-word labels by two spaces.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import nx5d_core


def _scan(path: Path, text: str, **options: object) -> nx5d_core.Scan:
    path.write_text(text, encoding="latin-1")
    repo = nx5d_core.open_repository(str(path), adapter="spec", **options)  # type: ignore[arg-type]
    return repo[repo.only_proposal or ""]["1"]


def _header(epoch: int, local: str, names: str = "Two Theta  Theta") -> str:
    return f"#F f.dat\n#E {epoch}\n#D {local}\n#O0 {names}\n\n"


def test_an_aborted_scan_keeps_its_complete_points(tmp_path: Path) -> None:
    """APS 30-ID HERIX: 55 columns, 19 points, the 20th split over two lines and cut by the
    abort comment glued onto the second one."""
    columns = 55
    rows = [" ".join(f"{p + c / 100:.2f}" for c in range(columns)) for p in range(20)]
    last = rows[-1].split()
    lines = [
        "#S 1  ascan  th 0 1  19 1",
        f"#N {columns}",
        "#L " + "  ".join(f"c{c}" for c in range(columns)),
        *rows[:19],
        " ".join(last[:26]),
        " ".join(last[26:55]) + "#C Tue Mar 23 12:31:00 2021.  Scan aborted after 19 points.",
    ]
    scan = _scan(tmp_path / "f.dat", _header(1616502400, "Tue Mar 23 12:26:40 2021") + "\n".join(lines) + "\n\n")  # fmt: skip
    assert scan.summary.num_frames == 19
    raw = scan.raw
    assert raw.sizes["point"] == 19
    np.testing.assert_array_equal(raw["c54"].values, [p + 0.54 for p in range(19)])
    notes = " ".join(raw.attrs["nx5d_notes"])
    assert "after the last complete point of 55 values (scan aborted)" in notes
    assert "26 values" in notes
    assert any("aborted after 19" in c for c in scan.summary.comments)


def test_points_wrapped_over_lines_by_n_are_joined(tmp_path: Path) -> None:
    """``#N 15 8``: 15 columns, written 8 per line (old SPEC; APS USAXS files)."""
    values = np.arange(3 * 15, dtype=float).reshape(3, 15)
    lines = ["#S 1  ascan  th 0 1  2 1", "#N 15 8", "#L " + "  ".join(f"c{c}" for c in range(15))]
    for row in values:
        lines += [" ".join(f"{v:g}" for v in row[:8]), " ".join(f"{v:g}" for v in row[8:])]
    scan = _scan(tmp_path / "f.dat", _header(1616502400, "Tue Mar 23 12:26:40 2021") + "\n".join(lines) + "\n\n")  # fmt: skip
    raw = scan.raw
    assert scan.summary.num_frames == 3
    assert raw.sizes["point"] == 3
    np.testing.assert_array_equal(
        np.stack([raw[f"c{c}"].values for c in range(15)], axis=1), values
    )
    xr_lazy = scan.lazy().compute()
    np.testing.assert_array_equal(xr_lazy["c14"].values, values[:, 14])


def test_tab_separated_motor_names_keep_their_values(tmp_path: Path) -> None:
    """APS 8-ID writes ``#O0 si6b\\tsi6t\\tsi5b``: each tab separates two names."""
    header = _header(1616502400, "Tue Mar 23 12:26:40 2021", names="si6b\tsi6t\tTwo Theta")
    lines = [
        "#S 1  ascan  th 0 1  1 1",
        "#P0 1.5 2.5 3.5",
        "#N 2",
        "#L th  Detector",
        "0 10",
        "1 11",
    ]
    meta = _scan(tmp_path / "f.dat", header + "\n".join(lines) + "\n\n").metadata
    assert (meta["positioners/si6b"], meta["positioners/si6t"], meta["positioners/Two Theta"]) == (1.5, 2.5, 3.5)  # fmt: skip


def test_the_file_header_gives_the_writers_utc_offset(tmp_path: Path) -> None:
    """A US beamline in summer (UTC-5): #E and #D of the header are the same moment."""
    started = datetime(2021, 6, 1, 14, 0, tzinfo=UTC)
    local = (started - timedelta(hours=5)).strftime("%a %b %d %H:%M:%S %Y")
    scan_lines = ["#S 1  ascan  th 0 1  1 1", "#D Tue Jun 01 10:30:00 2021", "#N 2", "#L th  Detector", "0 1", "1 2"]  # fmt: skip
    text = _header(int(started.timestamp()), local) + "\n".join(scan_lines) + "\n\n"
    summary = _scan(tmp_path / "f.dat", text).summary
    assert summary.time == datetime(2021, 6, 1, 10, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert summary.time == datetime(2021, 6, 1, 15, 30, tzinfo=UTC)  # the true instant
    assert any("UTC-05:00" in n for n in summary.notes)
    # the adapter option, when given, decides (a named zone knows daylight saving time)
    chosen = _scan(tmp_path / "g.dat", text, timezone="Europe/Berlin").summary
    assert chosen.time is not None
    assert chosen.time.utcoffset() == timedelta(hours=2)
    # no #E: no time rather than a guess, and a note that says what to do
    bare = text.replace(f"#E {int(started.timestamp())}\n", "")
    undated = _scan(tmp_path / "h.dat", bare).summary
    assert undated.time is None
    assert any("give the adapter option timezone" in n for n in undated.notes)


@pytest.mark.parametrize(
    ("labels", "width", "expected"),
    [
        ("Two Theta  H K L Epoch", 5, ["Two Theta", "H", "K", "L", "Epoch"]),
        ("H K L Epoch Detector", 5, ["H", "K", "L", "Epoch", "Detector"]),
        ("Two Theta  Epoch  Detector", 3, ["Two Theta", "Epoch", "Detector"]),
        ("a b  c d", 3, ["a b", "c d"]),  # two ways to get 3: ambiguous, kept as written
    ],
)
def test_single_space_labels_split_where_the_count_allows_one_way(
    labels: str, width: int, expected: list[str]
) -> None:
    from nx5d_spec.scan_data import split_labels

    assert split_labels(labels, width) == expected


def test_a_pattern_lists_only_spec_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``{proposal}.001#{scan}`` also matches XDI files (APS 13-ID-E names them ``.001`` too)."""
    from nx5d_spec import SpecFormatError
    from nx5d_spec.sample import write_spec

    for name in ("fexanes_a", "fexanes_b"):
        (tmp_path / f"{name}.001").write_text(
            "# XDI/1.0 GSE/1.0\n# Column.1: energy eV\n7100 0.1\n"
        )
    pattern = f"file://{tmp_path}/{{proposal}}.001#{{scan}}"
    with pytest.raises(SpecFormatError, match="is a SPEC file .*'fexanes_a', 'fexanes_b'"):
        nx5d_core.open_repository(pattern, adapter="spec").keys()
    write_spec(tmp_path / "sample.001", scans=(1,))
    assert nx5d_core.open_repository(pattern, adapter="spec").keys() == ["sample"]
    assert "2 matching file(s) are not SPEC and are left out: fexanes_a, fexanes_b" in caplog.text


def test_a_held_scan_sees_its_growth_and_a_vanished_scan_says_so(tmp_path: Path) -> None:
    """SPEC appends a scan's points as they are measured: a scan object held from before sees
    them in its summary as in raw; a scan gone from a replaced file raises the framework's
    not-found error naming what exists (it raised a bare KeyError('3'))."""
    from nx5d_spec.sample import HEADER, scan_text

    path = tmp_path / "s.dat"
    full = HEADER.format(name="s.dat") + scan_text(3, points=9)
    path.write_text("".join(full.splitlines(keepends=True)[:-7]))  # three points so far
    repo = nx5d_core.open_repository(str(path), index=False)
    scan = repo["s"]["3"]
    assert (scan.summary.num_frames, scan.raw.sizes["point"]) == (3, 3)
    path.write_text(full)  # six more points
    assert (scan.summary.num_frames, scan.raw.sizes["point"]) == (9, 9)
    path.write_text(HEADER.format(name="s.dat") + scan_text(1, points=3))
    with pytest.raises(nx5d_core.KeyNotFoundError, match=r"scan '3' not found in .*s.dat; 1 scans exist, e.g. '1'"):  # fmt: skip
        _ = scan.raw
