"""The XDI adapter on the real APS 13-ID-E files and on generated files of each convention.

Writers: the XDI specification's own examples (``# XDI/1.0 GSE/1.0``, ``# ///`` comments,
``#----`` and a label line), Epics StepScan at APS 13-ID-E (``#XDI/1.1`` without the space,
``Column.N: name units || PV``, files named ``*.001``), Larch (``.xdi``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from nx5d_xdi import XdiFormatError, XdiRepository
from nx5d_xdi.sample import write_xdi

import nx5d_core
from nx5d_core import Scan
from nx5d_core.errors import OutsideRootError
from nx5d_core.testing import AdapterConformance

REAL = "XAS/APS_13-ID-E_fexanes_2022"


class TestXdiConformance(AdapterConformance):
    @pytest.fixture
    def repository(self, tmp_path: Path) -> XdiRepository:
        for proposal, n in (("p1", 3), ("p2", 2)):
            for i in range(n):
                write_xdi(tmp_path / proposal / f"cu_{i:03d}.xdi", seed=i)
        return XdiRepository(str(tmp_path))

    @pytest.fixture
    def corrupt(self) -> Callable[[Scan], None]:
        def damage(scan: Scan) -> None:
            path = scan.file  # type: ignore[attr-defined]
            lines = path.read_text().splitlines()
            lines[20] = "8900.0 x 1.0"
            path.write_text("\n".join(lines) + "\n")

        return damage


def test_the_real_13_ide_files_read_as_numpy_reads_them(nx5d_real_data: Path) -> None:
    folder = nx5d_real_data / REAL
    repo = nx5d_core.open_repository(str(folder), timezone="America/Chicago")  # guessed by content
    assert repo.name == "xdi"
    proposal = repo[folder.name]
    assert proposal.keys() == [f"fexanes_{c}.001" for c in "abcde"]
    for key in proposal:
        scan = proposal[key]
        raw = scan.raw
        expected = np.loadtxt(folder / key, comments="#")
        assert raw.sizes["point"] == expected.shape[0] == scan.summary.num_frames
        np.testing.assert_array_equal(raw["Energy"].values, expected[:, 0])
        np.testing.assert_array_equal(raw["I0"].values, expected[:, 2])
        np.testing.assert_array_equal(raw["DTFactor_mca7"].values, expected[:, 35])
        assert raw["Energy"].attrs["units"] == "eV"
        assert raw["I0"].attrs["xdi_column"] == "13IDE:SIS1:mca2"
    summary = proposal["fexanes_a.001"].summary
    assert summary.time == datetime(2022, 4, 1, 20, 20, 31, tzinfo=UTC) + timedelta(hours=5)
    assert summary.type == "XDI/1.1"


def test_a_time_without_zone_is_never_labelled_utc(tmp_path: Path) -> None:
    write_xdi(tmp_path / "p" / "a.xdi", start_time="2013-05-01 10:20:30")
    scan = XdiRepository(str(tmp_path / "p"))["p"]["a.xdi"]
    assert scan.summary.time is None
    assert any("has no time zone" in n for n in scan.summary.notes)
    zoned = XdiRepository(str(tmp_path / "p"), timezone="Europe/Berlin")["p"]["a.xdi"]
    assert zoned.summary.time is not None
    assert zoned.summary.time.utcoffset() == timedelta(hours=2)  # CEST in May
    aware = write_xdi(tmp_path / "q" / "b.xdi", start_time="2013-05-01T10:20:30-05:00")
    assert XdiRepository(str(aware))["q"]["b.xdi"].summary.time == datetime(2013, 5, 1, 15, 20, 30, tzinfo=UTC)  # fmt: skip


def test_the_specifications_conventions(tmp_path: Path) -> None:
    path = write_xdi(
        tmp_path / "p" / "cu.xdi", version_line="#XDI/1.1    Epics StepScan File / 2.0"
    )
    text = path.read_text().replace("# Mono.d_spacing", "# mono.D_SPACING")  # names: any case
    path.write_text(text)
    scan = nx5d_core.open_repository(str(path))["p"]["cu.xdi"]  # a file: its one scan
    raw = scan.raw
    assert list(raw.coords) == ["energy"]
    assert raw["energy"].dims == ("point",)
    assert raw["itrans"].attrs["units"] == "counts"
    assert raw.attrs["Mono.d_spacing"] == "3.13555"
    assert scan.metadata["comments"] == "a foil, room temperature"
    assert scan.metadata["Element.symbol"] == "Cu"
    assert scan.summary.description == "Cu foil"


def test_a_file_being_written_gives_its_complete_points_and_then_the_rest(tmp_path: Path) -> None:
    """A writer appends a line at a time; the half-written last line is left out with a note
    (never a row of wrong values), and the next access sees the lines written since."""
    path = write_xdi(tmp_path / "p" / "live.xdi", points=5)
    lines = path.read_text().splitlines()
    header, rows = lines[:-5], lines[-5:]
    path.write_text("\n".join([*header, *rows[:3], rows[3][:8]]) + "\n")
    repo = XdiRepository(str(tmp_path / "p"))
    scan = repo["p"]["live.xdi"]
    assert scan.summary.num_frames == 3
    assert "left out" in " ".join(scan.summary.notes)
    assert scan.raw.sizes["point"] == 3

    def writer() -> None:
        with path.open("w") as out:
            out.write("\n".join([*header, *rows[:3]]) + "\n")
            for row in rows[3:]:
                out.flush()
                time.sleep(0.05)
                out.write(row + "\n")

    thread = threading.Thread(target=writer)
    thread.start()
    thread.join()
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a coarse clock
    assert scan.raw.sizes["point"] == 5
    assert scan.summary.num_frames == 5


def test_bad_files_raise_naming_file_and_line(tmp_path: Path) -> None:
    path = write_xdi(tmp_path / "p" / "bad.xdi", points=6)
    lines = path.read_text().splitlines()
    lines[-3] = lines[-3] + " 7.0"  # one row too long, in the middle
    path.write_text("\n".join(lines) + "\n")
    scan = XdiRepository(str(tmp_path / "p"))["p"]["bad.xdi"]
    with pytest.raises(XdiFormatError, match=r"bad\.xdi, line \d+: 4 values where the first data line has 3"):  # fmt: skip
        _ = scan.raw
    empty = tmp_path / "p" / "empty.xdi"
    empty.write_text("\n".join(lines[:16]) + "\n")  # the header only: a scan just started
    scan = XdiRepository(str(tmp_path / "p"))["p"]["empty.xdi"]
    assert scan.summary.num_frames == 0
    with pytest.raises(XdiFormatError, match="no data line"):
        _ = scan.raw
    from nx5d_xdi import parse_xdi

    with pytest.raises(XdiFormatError, match="not an XDI file"):
        parse_xdi("# XDI\n1 2\n", where="x")


def test_files_that_are_not_xdi_are_not_scans_and_nothing_outside_the_root_is_read(tmp_path: Path) -> None:  # fmt: skip
    write_xdi(tmp_path / "p" / "a.001")
    (tmp_path / "p" / "notes.txt").write_text("beamtime notes\n")
    outside = write_xdi(tmp_path / "elsewhere" / "secret.xdi")
    (tmp_path / "p" / "b.001").symlink_to(outside)
    repo = XdiRepository(str(tmp_path / "p"))
    assert repo["p"].keys() == ["a.001", "b.001"]
    with pytest.raises(OutsideRootError):
        _ = repo["p"]["b.001"].raw
    with pytest.raises(nx5d_core.errors.AdapterGuessError):
        nx5d_core.open_repository(str(tmp_path / "p" / "notes.txt"))
