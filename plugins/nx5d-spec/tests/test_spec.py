"""SPEC files as thirty years of writers left them: one test per quirk, on real files where the
shared data has one and on small generated files otherwise (the writer is named)."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import numpy as np
import pytest
from nx5d_spec import SpecFormatError, SpecRepository
from nx5d_spec.errors import SpecNoDataError
from nx5d_spec.sample import HEADER, scan_text, write_spec

import nx5d_core
from nx5d_core.cli import main


def _proposal(path: Path) -> nx5d_core.Proposal:
    repo = nx5d_core.open_repository(str(path))
    assert repo.name == "spec"
    return repo[repo.only_proposal or ""]


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("latin-1"))
    return path


# -- model and API --------------------------------------------------------------------------
def test_pattern_lists_every_file_and_scans_in_file_order(tmp_path: Path) -> None:
    write_spec(tmp_path / "sampleA.spec", scans=(3, 1, 10))
    write_spec(tmp_path / "sampleB.spec", scans=(1,))
    (tmp_path / "notes.txt").write_text("not spec")
    repo = nx5d_core.open_repository(
        f"file://{tmp_path}/{{proposal}}.spec#{{scan}}", adapter="spec"
    )
    assert repo.keys() == ["sampleA", "sampleB"]
    assert repo["sampleA"].keys() == ["3", "1", "10"]  # file order, not sorted
    assert repo["sampleA"][-1].key == "10"
    again = nx5d_core.open_repository(repo.url, adapter="spec")["sampleA"]  # listing from the index
    assert again.keys() == ["3", "1", "10"]
    assert sorted(["10", "1", "3"], key=again.scan_order) == ["3", "1", "10"]


def test_guessed_by_content_not_extension(tmp_path: Path) -> None:
    path = write_spec(tmp_path / "fourc_data", scans=(1,))  # SPEC's own files have no suffix
    repo = nx5d_core.open_repository(str(path))
    assert (repo.name, repo.keys()) == ("spec", ["fourc_data"])
    other = tmp_path / "data.txt"
    other.write_text("x y\n1 2\n")
    with pytest.raises(nx5d_core.AdapterGuessError):
        nx5d_core.open_repository(str(other))


@pytest.mark.parametrize("compress", ["gz", "bz2"])
def test_compressed_files_open_transparently(tmp_path: Path, compress: str) -> None:
    plain = write_spec(tmp_path / "plain.dat", scans=(1, 2))
    packed = tmp_path / f"packed.dat.{compress}"
    packed.write_bytes((gzip.compress if compress == "gz" else bz2.compress)(plain.read_bytes()))
    proposal = _proposal(packed)
    assert proposal.key == "packed"
    np.testing.assert_array_equal(
        proposal["2"].raw["Detector"].values, _proposal(plain)["2"].raw["Detector"].values
    )


@pytest.mark.parametrize("compress", ["gz", "bz2"])
def test_compressed_files_in_several_members_and_bombs(
    tmp_path: Path, compress: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_spec import index

    pack = gzip.compress if compress == "gz" else bz2.compress
    text = write_spec(tmp_path / "plain.dat", scans=(1, 2)).read_bytes()
    half = text.index(b"#S 2")
    members = tmp_path / f"members.dat.{compress}"  # `cat a.gz b.gz`: what appending writers leave
    members.write_bytes(pack(text[:half]) + pack(text[half:]))
    assert _proposal(members).keys() == ["1", "2"]
    truncated = tmp_path / f"cut.dat.{compress}"
    truncated.write_bytes(pack(text)[:-12])
    with pytest.raises(SpecFormatError, match="cannot be decompressed"):
        nx5d_core.open_repository(str(truncated), adapter="spec")["cut"].keys()
    monkeypatch.setattr(index, "MAX_TEXT_BYTES", 1 << 20)
    bomb = tmp_path / f"bomb.dat.{compress}"
    bomb.write_bytes(pack(text + b"#C " + b"0" * (4 << 20) + b"\n"))  # a few KB on disk
    with pytest.raises(SpecFormatError, match="decompresses to more than 1 MiB"):
        nx5d_core.open_repository(str(bomb), adapter="spec")["bomb"].keys()


def test_summary_from_the_header_lines(tmp_path: Path) -> None:
    text = HEADER.format(name="s.dat") + scan_text(7).replace(
        "#G0", "#C attenuator 2 in\n#G0"
    ).replace("\n\n", "\n#C Tue Mar 23 12:31:00 2021.  Scan aborted after 11 points.\n\n")
    summary = _proposal(_write(tmp_path / "s.dat", text))["7"].summary
    assert summary.type == "ascan"
    assert summary.num_frames == 11
    assert summary.description == "#S 7  ascan  th 10 11  10 1"
    assert summary.motors == ["th"]
    assert summary.ranges == [[10.0, 11.0]]
    assert summary.time is not None
    assert summary.time.isoformat() == "2021-03-23T12:30:00+00:00"
    assert "attenuator 2 in" in summary.comments
    assert any("aborted after 11 points" in c for c in summary.comments)


def test_timezone_option(tmp_path: Path) -> None:
    path = write_spec(tmp_path / "s.dat", scans=(1,))
    repo = SpecRepository(str(path), timezone="Europe/Berlin")
    assert repo["s"]["1"].summary.time.isoformat() == "2021-03-23T12:30:00+01:00"


def test_raw_columns_coordinates_and_metadata(tmp_path: Path) -> None:
    scan = _proposal(write_spec(tmp_path / "s.dat", scans=(1,)))["1"]
    raw = scan.raw
    assert list(raw.data_vars) == ["Epoch", "Seconds", "Monitor", "Detector"]
    assert raw["Theta"].dims == ("point",)
    assert "Theta" in raw.coords  # the scanned motor (mnemonic 'th' in #S, name in #L)
    np.testing.assert_allclose(raw["Theta"].values, np.linspace(10, 11, 11), atol=1e-4)
    meta = scan.metadata
    assert meta["positioners/Two Theta"] == 20.0
    assert meta["positioners/Phi"] == 0.0
    assert meta["G0"] == [0.0, 0.0, 1.0]
    assert meta["Q"] == [0.0, 0.0, 2.0]
    assert meta["file/F"] == "s.dat"
    assert len(scan.table()) == 11


# -- quirks ---------------------------------------------------------------------------------
def test_repeated_scan_numbers_get_suffixes(nx5d_real_data: Path) -> None:
    proposal = _proposal(nx5d_real_data / "misc/twoc_diffractometer/2021-09-23/twoc.dat")
    assert proposal.keys() == ["1", "2", "2.2"]  # CRLF file, #S 2 written twice
    assert proposal["2.2"].summary.number == "2"
    assert proposal["2.2"].summary.line > proposal["2"].summary.line


def test_file_starting_at_a_later_scan_number(nx5d_real_data: Path) -> None:
    proposal = _proposal(nx5d_real_data / "ESRF/ID26/opid26_1998-10/31oct98.dat")
    assert proposal.keys()[:2] == ["19", "20"]
    assert len(proposal.keys()) == 63


def test_motor_names_from_the_header_block_in_force(tmp_path: Path) -> None:
    first = HEADER.format(name="a.dat")
    second = (
        "#F a.dat\n#E 1616600000\n#D Wed Mar 24 12:00:00 2021\n#O0 Alpha  Beta  Gamma  Delta\n\n"
    )
    own = scan_text(3).replace("#P0 20 10 0 0", "#O0 Kappa  Omega  Nu  Mu\n#P0 1 2 3 4")
    text = first + scan_text(1) + second + scan_text(2) + own
    proposal = _proposal(_write(tmp_path / "a.dat", text))
    assert proposal["1"].metadata["positioners/Two Theta"] == 20.0
    assert proposal["2"].metadata["positioners/Alpha"] == 20.0
    assert "positioners/Two Theta" not in proposal["2"].metadata
    assert proposal["3"].metadata["positioners/Omega"] == 2.0


def test_no_file_header_and_epoch_date(tmp_path: Path) -> None:
    """Sardana/spock's SPEC recorder: no #F/#E block, #D as seconds since the epoch."""
    text = scan_text(1).replace("#D Tue Mar 23 12:30:00 2021", "#D 1616502600.5")
    scan = _proposal(_write(tmp_path / "spock.dat", text))["1"]
    assert scan.summary.time.isoformat() == "2021-03-23T12:30:00.500000+00:00"
    assert scan.raw.sizes["point"] == 11


def test_none_and_nan_become_nan_never_zero(tmp_path: Path) -> None:
    text = HEADER.format(name="n.dat") + scan_text(1, points=4)
    lines = text.splitlines()
    data = [i for i, line in enumerate(lines) if line[:1].isdigit()]
    lines[data[1]] = lines[data[1]].rsplit(" ", 1)[0] + " None"
    lines[data[2]] = lines[data[2]].rsplit(" ", 1)[0] + " nan"
    raw = _proposal(_write(tmp_path / "n.dat", "\n".join(lines) + "\n"))["1"].raw
    detector = raw["Detector"].values
    assert np.isnan(detector[1])
    assert np.isnan(detector[2])
    assert not np.isnan(detector[0])


def test_none_in_mca_spectra_becomes_nan_in_any_case(tmp_path: Path) -> None:
    body = scan_text(1, points=3).rstrip("\n").splitlines()
    lines = [line for line in body if line.startswith("#")]
    spectra = ["@A 1 2 3", "@A 4 None 6", "@A NONE 8 nan"]
    for row, spectrum in zip((line for line in body if not line.startswith("#")), spectra, strict=True):  # fmt: skip
        lines += [spectrum, row]
    raw = _proposal(_write(tmp_path / "m.dat", HEADER.format(name="m.dat") + "\n".join(lines) + "\n\n"))["1"].raw  # fmt: skip
    values = raw["mca"].values
    np.testing.assert_array_equal(values, [[1, 2, 3], [4, np.nan, 6], [np.nan, 8, np.nan]])


def test_aborted_scan_without_data_raises_and_summary_says_so(nx5d_real_data: Path) -> None:
    proposal = _proposal(nx5d_real_data / "ESRF/ID26/opid26_1998-10/31oct98.dat")
    scan = proposal["31"]
    assert scan.summary.num_frames == 0
    assert any("Scan aborted after 0 points" in c for c in scan.summary.comments)
    with pytest.raises(SpecNoDataError, match=r"31oct98.dat: line 1407: scan '31'.*no data lines"):
        _ = scan.raw
    assert "31" in proposal.table().index


def test_flyscans_without_data_and_n_disagreeing_with_l(nx5d_real_data: Path) -> None:
    proposal = _proposal(nx5d_real_data / "APS/USAXS/2016-02-03_setup/02_03_setup.dat")
    assert len(proposal.keys()) == 50
    flyscan = proposal["5"]
    assert flyscan.summary.type == "FlyScan"
    assert flyscan.summary.num_frames == 0
    assert any("#N says 16 columns, #L names 17" in n for n in flyscan.summary.notes)
    with pytest.raises(SpecNoDataError):
        _ = flyscan.raw
    raw = proposal["2"].raw
    assert raw.sizes["point"] == 21
    assert "USAXS.m2rp" in raw.coords  # mnemonic m2rp in the #S line, USAXS.m2rp in #L


def test_abort_comment_glued_onto_the_last_data_line(tmp_path: Path) -> None:
    text = HEADER.format(name="g.dat") + scan_text(1, points=5)
    lines = text.rstrip("\n").splitlines()
    lines[-1] = (
        lines[-1][: len(lines[-1]) // 2]
        + "#C Tue Mar 23 12:31:00 2021.  Scan aborted after 4 points."
    )
    raw = _proposal(_write(tmp_path / "g.dat", "\n".join(lines) + "\n\n"))["1"].raw
    assert raw.sizes["point"] == 4  # the complete points; the cut one is reported
    notes = " ".join(raw.attrs["nx5d_notes"])
    assert "glued onto a data line" in notes
    assert "after the last complete point" in notes


def test_single_space_labels(tmp_path: Path) -> None:
    text = HEADER.format(name="l.dat") + scan_text(1, points=3).replace(
        "#L Theta  Epoch  Seconds  Monitor  Detector", "#L Theta Epoch Seconds Monitor Detector"
    )
    raw = _proposal(_write(tmp_path / "l.dat", text))["1"].raw
    assert set(raw.variables) == {"Theta", "Epoch", "Seconds", "Monitor", "Detector"}
    assert "Theta" in raw.coords


def test_repeated_labels_are_made_unique_and_reported(nx5d_real_data: Path) -> None:
    raw = _proposal(nx5d_real_data / "misc/mca_4spectra/2016-05-15/mca_spectra_example.dat")[
        "1"
    ].raw
    assert "Clock_2" in raw
    assert raw["Clock_2"].attrs["spec_label"] == "Clock"
    assert any("repeated labels renamed" in n for n in raw.attrs["nx5d_notes"])


def test_several_mcas_per_point(nx5d_real_data: Path) -> None:
    raw = _proposal(nx5d_real_data / "misc/mca_4spectra/2016-05-15/mca_spectra_example.dat")[
        "1"
    ].raw
    for name in ("mca1", "mca2", "mca3", "mca4"):
        assert raw[name].dims == ("point", f"{name}_channel")
        assert raw[name].shape == (raw.sizes["point"], 256)
    assert not np.isnan(raw["mca1"].values).any()
    assert float(raw["mca1"].sum()) > 0


def test_mca_with_continuation_lines_and_channel_coordinates(nx5d_real_data: Path) -> None:
    proposal = _proposal(nx5d_real_data / "APS/33-ID_psic/samplecheck_7_17_03/33id_spec.dat")
    assert len(proposal.keys()) == 106
    raw = proposal["1"].raw
    assert raw["mca"].shape == (41, 91)  # #@CHANN 1201 1110 1200 1: a 91-channel region
    assert raw["mca_channel"].values[[0, -1]].tolist() == [1110, 1200]
    assert raw["eta"].values[0] == pytest.approx(43.628)


def test_mca_calibration_and_extra_spectra_before_the_first_point(tmp_path: Path) -> None:
    body = scan_text(1, points=3).rstrip("\n").splitlines()
    head = [line for line in body if line.startswith("#")]
    data = [line for line in body if not line.startswith("#")]
    lines = [*head, "#@MCA 16C", "#@CHANN 8 0 7 1", "#@CALIB 1 0.5 0", "@A 9 9 9 9 9 9 9 9"]
    for i, row in enumerate(data):
        lines += [f"@A {i} 1 2 3\\", " 4 5 6 7", row]
    scan = _proposal(
        _write(tmp_path / "m.dat", HEADER.format(name="m.dat") + "\n".join(lines) + "\n\n")
    )["1"]
    raw = scan.raw
    assert raw["mca"].shape == (3, 8)
    assert raw["mca"].values[:, 0].tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(raw["mca_energy"].values, 1 + 0.5 * np.arange(8))
    assert any("spectra not belonging to a point" in n for n in raw.attrs["nx5d_notes"])


def _mesh(points: int) -> str:
    lines = [
        "#S 5  mesh  th 0 1 2  chi 0 2 1  1",
        "#D Tue Mar 23 12:30:00 2021",
        "#N 3",
        "#L Theta  Chi  Detector",
    ]
    grid = [(x, y) for y in (0.0, 2.0) for x in (0.0, 0.5, 1.0)][:points]
    lines += [f"{x} {y} {int(10 * x + y)}" for x, y in grid]
    return HEADER.format(name="mesh.dat") + "\n".join(lines) + "\n\n"


def test_complete_mesh_is_reshaped_to_its_grid(tmp_path: Path) -> None:
    raw = _proposal(_write(tmp_path / "mesh.dat", _mesh(6)))["5"].raw
    assert raw["Detector"].dims == ("chi_step", "th_step")
    assert raw["Detector"].shape == (2, 3)
    assert raw["Theta"].values[1].tolist() == [0.0, 0.5, 1.0]


def test_mesh_stopped_early_stays_flat_with_a_note(tmp_path: Path) -> None:
    raw = _proposal(_write(tmp_path / "mesh.dat", _mesh(4)))["5"].raw
    assert raw["Detector"].dims == ("point",)
    assert raw.sizes["point"] == 4
    assert any("stopped after 4" in n for n in raw.attrs["nx5d_notes"])


# -- broken files ---------------------------------------------------------------------------
def test_short_line_in_the_middle_is_an_error_naming_the_line(tmp_path: Path) -> None:
    text = HEADER.format(name="b.dat") + scan_text(1, points=5)
    lines = text.splitlines()
    bad = [i for i, line in enumerate(lines) if line[:1].isdigit()][2]
    lines[bad] = " ".join(lines[bad].split()[:3])
    proposal = _proposal(_write(tmp_path / "b.dat", "\n".join(lines) + "\n"))
    with pytest.raises(
        SpecFormatError, match=rf"b.dat: line {bad + 1}: 3 values where every other"
    ):
        _ = proposal["1"].raw
    with pytest.raises(SpecFormatError):
        _ = proposal["1"].summary


def test_not_a_number_is_an_error_naming_the_line(tmp_path: Path) -> None:
    text = (HEADER.format(name="c.dat") + scan_text(1, points=5)).replace(" 50002 ", " 5o002 ")
    with pytest.raises(SpecFormatError, match=r"c.dat: line \d+: not a number"):
        _ = _proposal(_write(tmp_path / "c.dat", text))["1"].raw


def test_file_without_scans_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.dat", HEADER.format(name="h.dat"))
    repo = SpecRepository(str(path))
    with pytest.raises(SpecFormatError, match="has no '#S' scan line"):
        repo["h"].keys()


# -- scale and laziness ---------------------------------------------------------------------
def test_large_file_and_long_scan(tmp_path: Path) -> None:
    text = HEADER.format(name="big.dat") + "".join(
        scan_text(i, points=5, seed=i) for i in range(1, 851)
    )
    text += scan_text(851, points=10_000)
    proposal = _proposal(_write(tmp_path / "big.dat", text))
    assert len(proposal.keys()) == 851
    assert proposal["851"].raw.sizes["point"] == 10_000
    assert proposal["850"].summary.num_frames == 5


def test_lazy_reads_nothing_until_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nx5d_spec.adapter import SpecScan

    scan = _proposal(write_spec(tmp_path / "s.dat", scans=(1,)))["1"]
    calls = []
    original = SpecScan._load_columns  # what lazy() reads the columns with, on compute

    def counting(self):  # type: ignore[no-untyped-def]
        calls.append(self.key)
        return original(self)

    monkeypatch.setattr(SpecScan, "_load_columns", counting)
    lazy = scan.lazy()
    assert calls == []
    assert lazy["Detector"].chunks is not None
    values = lazy["Detector"].values
    assert calls == ["1"]
    np.testing.assert_array_equal(values, original(scan)["Detector"].values)


def test_nx5d_ls_on_a_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_spec(tmp_path / "s.dat", scans=(1, 2))
    assert main(["ls", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "proposal s:"
    assert out[1].startswith("# key\t")
    assert [line.split("\t")[0] for line in out[2:]] == ["1", "2"]
    assert out[2].split("\t")[1:3] == ["ascan", "11"]


def test_mca_spectra_fill_a_huge_page_output_with_nan_for_points_without_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import mmap

    from nx5d_core import buffers

    monkeypatch.setattr(buffers, "HUGE_PAGE_MIN", 1)  # every output through the mapping
    body = scan_text(1, points=3).rstrip("\n").splitlines()
    lines = [line for line in body if line.startswith("#")]
    for i, row in enumerate(line for line in body if not line.startswith("#")):
        lines += [row] + ([f"@A {i} {i + 1} {i + 2}"] if i != 1 else [])  # point 1 has none
    raw = _proposal(_write(tmp_path / "m.dat", HEADER.format(name="m.dat") + "\n".join(lines) + "\n\n"))["1"].raw  # fmt: skip
    values = raw["mca"].values
    np.testing.assert_array_equal(values[[0, 2]], [[0, 1, 2], [2, 3, 4]])
    assert np.isnan(values[1]).all(), "a point without a spectrum is NaN, never 0"
    assert any("1 points have no spectrum" in n for n in raw.attrs["nx5d_notes"])
    base: object = values
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    assert isinstance(base, memoryview)
    assert isinstance(base.obj, mmap.mmap)
