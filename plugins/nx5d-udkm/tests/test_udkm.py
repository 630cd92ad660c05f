"""UDKM adapter: summaries, raw, lazy, cook, and each bad input."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
import xarray as xr
from nx5d_udkm import (
    CorruptFrameError,
    FrameCountError,
    FrameShapeError,
    ManifestError,
    MissingFrameError,
    UdkmRepository,
    rsm,
)
from nx5d_udkm.rsm import cook_rsm, reference_cook
from nx5d_udkm.sample import make_scan

import nx5d_core

SCAN = ("20210205", "091726")


def _scan(root: Path, **options: object) -> nx5d_core.Scan:
    return UdkmRepository(str(root), **options)[SCAN[0]][SCAN[1]]  # type: ignore[arg-type]


def test_opened_by_guess_and_listed_in_order(udkm_root: Path) -> None:
    repo = nx5d_core.open_repository(str(udkm_root))
    assert repo.name == "udkm"
    assert repo.keys() == ["20210205"]
    assert repo["20210205"].keys() == ["091726", "101500", "113045"]
    assert repo.p20210205[-1].key == "113045"


def test_summary_reads_no_image(udkm_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nx5d_udkm import frames

    def fail(*args: object, **kwargs: object) -> None:
        msg = "summary read an image"
        raise AssertionError(msg)

    monkeypatch.setattr(frames.FrameReader, "read_into", fail)
    monkeypatch.setattr(frames.FrameReader, "from_first", fail)
    summary = _scan(udkm_root).summary
    assert summary.type == "delay-theta"
    assert summary.num_frames == 126
    assert summary.delays == 6
    assert (summary.theta_min, summary.theta_max) == (22.6, 23.6)  # SRO/STO (002) at Cu Ka
    assert summary.time is not None
    assert summary.time.isoformat() == "2021-02-05T09:17:26+01:00"
    assert "SRO/STO" in summary.description
    assert summary.missing == []


def test_raw_has_every_column_with_units_and_images(udkm_root: Path) -> None:
    scan = _scan(udkm_root)
    raw = scan.raw
    assert raw["images"].shape == (126, 195, 487)
    assert raw["images"].dtype == np.int32
    assert set(raw.data_vars) == {
        "Loop_Delay",
        "Loop_Theta",
        "Crystal_V",
        "Crystal_ph_s",
        "Pilatus",
        "Repeats",
        "ImageNumber",
        "Intensities",
        "images",
    }
    assert raw["Crystal_ph_s"].attrs["units"] == "ph/s"
    assert raw["Crystal_V"].attrs == {"units": "V", "long_name": "Crystal [V]"}
    assert raw["Delay"].attrs["units"] == "ps"
    assert raw["Theta"].attrs["units"] == "deg"
    assert set(np.round(raw["Theta"].values, 4)) == {round(22.6 + 0.05 * i, 4) for i in range(21)}
    reference = np.stack([tifffile.imread(p) for p in scan.image_paths()])  # the seed's way
    np.testing.assert_array_equal(raw["images"].values, reference)
    assert (raw["images"].values == -2).sum() == 126 * 12
    means = raw["images"].groupby("Delay").mean()
    assert means.sizes["Delay"] == 6


def test_subsampled_and_roi_views_keep_only_what_is_asked(udkm_root: Path) -> None:
    scan = _scan(udkm_root)
    full = scan.raw["images"].values
    reduced = scan.read(reduce=4)
    assert reduced["images"].shape == (126, 49, 122)
    np.testing.assert_array_equal(reduced["images"].values, full[:, ::4, ::4])
    roi = scan.read(roi=(50, 150, 200, 300))
    np.testing.assert_array_equal(roi["images"].values, full[:, 50:150, 200:300])
    assert roi["y"].values[0] == 50
    option = _scan(udkm_root, reduce=2, roi=(0, 100, 0, 200))
    np.testing.assert_array_equal(option.raw["images"].values, full[:, 0:100:2, 0:200:2])
    np.testing.assert_array_equal(option.lazy()["images"].values, full[:, 0:100:2, 0:200:2])


def test_zlib_frames_read_equal(tmp_path: Path) -> None:
    make_scan(tmp_path / "20210205" / "091726", delays=2, loops=1, compression="zlib")
    scan = _scan(tmp_path)
    reference = np.stack([tifffile.imread(p) for p in scan.image_paths()])
    np.testing.assert_array_equal(scan.raw["images"].values, reference)


def test_lazy_reads_one_file_per_frame(udkm_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nx5d_udkm import frames

    scan = _scan(udkm_root)
    lazy = scan.lazy()
    assert lazy["images"].chunks is not None
    read: list[str] = []
    original = frames.FrameReader.read_into

    def spy(self: frames.FrameReader, path: Path, out: np.ndarray, **kwargs: Any) -> None:
        read.append(path.name)
        original(self, path, out, **kwargs)

    monkeypatch.setattr(frames.FrameReader, "read_into", spy)
    frame = lazy["images"][70].values
    assert read == ["image00070.tiff"]
    np.testing.assert_array_equal(frame, tifffile.imread(scan.folder / "image00070.tiff"))
    expected = int(tifffile.imread(scan.folder / "image00011.tiff")[0, 0])
    read.clear()
    assert int(lazy["images"][11, 0, 0]) == expected
    assert read == ["image00011.tiff"]
    read.clear()
    lazy["images"][10:13, 0, 0].values  # noqa: B018
    assert sorted(read) == ["image00010.tiff", "image00011.tiff", "image00012.tiff"]


def test_lazy_equals_raw_and_pickles(udkm_root: Path) -> None:
    scan = _scan(udkm_root)
    lazy = scan.lazy()
    xr.testing.assert_identical(lazy.compute(), scan.raw)
    clone = pickle.loads(pickle.dumps(lazy))
    np.testing.assert_array_equal(clone["images"][5].values, scan.raw["images"][5].values)
    assert pickle.loads(pickle.dumps(scan)).summary == scan.summary


def test_cook_equals_seed_groupby_and_masks_bad_pixels(udkm_root: Path) -> None:
    scan = _scan(udkm_root)
    params = rsm.params(grid=(80, 90))
    ours = cook_rsm(scan.raw, params=params)
    seed = reference_cook(scan.raw, params=params)
    assert ours["intensity"].dims == ("Delay", "qy", "qz")
    assert ours["qy"].attrs["units"] == "1/angstrom"  # NeXus unit spelling
    covered = ours["coverage"].values > 0
    assert covered.mean() > 0.1
    np.testing.assert_allclose(
        ours["intensity"].values[covered], seed["intensity"].values[covered], rtol=1e-6, atol=0
    )
    assert np.isnan(ours["intensity"].values[~covered]).all()  # no data: NaN, not a 0 count
    assert (seed["intensity"].values[~covered] == 0).all()
    assert np.nanmin(ours["intensity"].values) >= 0  # -2 pixels are masked, not gridded as counts
    streamed = cook_rsm(scan.lazy(), params=params)
    np.testing.assert_allclose(
        streamed["intensity"].values, ours["intensity"].values, rtol=1e-12, equal_nan=True
    )


def test_peak_moves_to_lower_qz_after_time_zero(udkm_root: Path) -> None:
    from nx5d_udkm.sample import Q_FILM, Q_SUBSTRATE

    cooked = _scan(udkm_root).cooked["intensity"]
    profile = cooked.sum("qy")
    substrate = profile.qz[profile.argmax("qz")]
    assert abs(float(substrate.isel(Delay=0)) - Q_SUBSTRATE) < 0.003  # STO (002) where it belongs
    film = profile.where(profile.qz < (Q_FILM + Q_SUBSTRATE) / 2, 0)
    qz_peak = film.qz[film.argmax("qz")]
    assert abs(float(qz_peak.sel(Delay=cooked.Delay.min())) - Q_FILM) < 0.003
    early, late = (
        float(qz_peak.sel(Delay=cooked.Delay.min())),
        float(qz_peak.sel(Delay=cooked.Delay.max())),
    )
    assert late < early  # lattice expansion after excitation


def test_cook_uses_spice_rsm_and_records_provenance(tmp_path: Path, udkm_root: Path) -> None:
    repo = UdkmRepository(str(udkm_root), spice=tmp_path / "spice.sqlite")
    proposal = repo["20210205"]
    proposal.spice.seed("rsm", {"grid": [40, 50]}, type="rsm")
    proposal.spice.anchor("rsm", "113045", {"grid": [60, 70]})
    first = proposal["101500"].cooked
    assert first["intensity"].shape == (6, 40, 50)
    last = proposal["113045"].cooked
    assert last["intensity"].shape == (6, 60, 70)
    used = json.loads(last.attrs["nx5d_spice"])["rsm"]
    assert (used["anchor"], used["revision"]) == ("113045", 0)
    with pytest.raises(nx5d_core.spice.SpiceValidationError, match="grid"):
        proposal.spice.update("rsm", {"grid": [0, "x"]})


# -- bad input --------------------------------------------------------------------------
def test_missing_image_file(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    (scan.folder / "image00017.tiff").unlink()
    with pytest.raises(
        MissingFrameError,
        match=r"84 rows but the folder has 83 image files; missing: image00017.tiff",
    ):
        _ = scan.raw
    assert scan._raw is None
    assert scan.summary.num_frames == 84  # the summary needs no image


def test_manifest_rows_differ_from_images(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    (scan.folder / "image00084.tiff").write_bytes((scan.folder / "image00000.tiff").read_bytes())
    with pytest.raises(
        FrameCountError,
        match="84 rows but the folder has 85 image files; not in the manifest: image00084.tiff",
    ):
        _ = scan.raw


@pytest.mark.parametrize("cut", [100, 8, 0])
def test_truncated_tiff(scratch_root: Path, cut: int) -> None:
    scan = _scan(scratch_root)
    path = scan.folder / "image00030.tiff"
    path.write_bytes(path.read_bytes()[: max(cut, 0) or 0] if cut else b"")
    if cut == 100:
        path.write_bytes((scan.folder / "image00031.tiff").read_bytes()[:-1000])
    with pytest.raises(CorruptFrameError, match=r"image00030.tiff: (truncated|not a TIFF)"):
        _ = scan.raw
    with pytest.raises(CorruptFrameError, match="image00030.tiff"):
        scan.lazy()["images"][30].values  # noqa: B018


def test_corrupt_tiff(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    (scan.folder / "image00005.tiff").write_bytes(b"GIF89a" + bytes(400_000))
    with pytest.raises(
        CorruptFrameError, match=r"image00005.tiff: not a TIFF file \(starts with b'GIF8'"
    ):
        _ = scan.raw


def test_corrupt_zlib_strip(tmp_path: Path) -> None:
    folder = make_scan(tmp_path / "20210205" / "091726", delays=1, loops=1, compression="zlib")
    data = bytearray((folder / "image00003.tiff").read_bytes())
    data[400:600] = bytes(200)
    (folder / "image00003.tiff").write_bytes(bytes(data))
    with pytest.raises(CorruptFrameError, match="image00003.tiff: strip 0 does not decode"):
        _ = _scan(tmp_path).raw


def test_frame_of_other_shape(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    tifffile.imwrite(scan.folder / "image00009.tiff", np.zeros((195, 480), np.int32))
    with pytest.raises(
        FrameShapeError,
        match="frame 9: image00009.tiff is 195x480 int32, but the scan's first frame is 195x487 int32",
    ):
        _ = scan.raw


def test_malformed_manifest_line(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    manifest = scan.folder / "manifest.dat"
    lines = manifest.read_text().splitlines()
    lines[7] = lines[7].replace("\t", "\tx", 1)
    manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(ManifestError, match=r"manifest.dat: line 8: not a number"):
        _ = scan.summary
    lines[7] = "\t".join(lines[7].split("\t")[:5])
    manifest.write_text("\n".join(lines) + "\n")
    scan.refresh()
    with pytest.raises(ManifestError, match=r"line 8: 5 fields, the header names 10"):
        _ = scan.raw


def test_empty_manifest(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    manifest = scan.folder / "manifest.dat"
    manifest.write_text(manifest.read_text().splitlines()[0] + "\n")
    with pytest.raises(ManifestError, match="has a header but no rows"):
        _ = scan.summary
    proposal = scan.proposal
    entries = proposal.summaries()
    assert not entries[0].ok
    assert "no rows" in str(entries[0].error)


def test_unreadable_parameters_still_gives_a_summary(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    (scan.folder / "parameters.txt").unlink()
    summary = scan.summary
    assert summary.num_frames == 84
    assert summary.time is not None
    assert summary.time.isoformat() == "2021-02-05T09:17:26+01:00"  # from the keys, local time
    assert summary.missing
    assert summary.missing[0].startswith("parameters.txt:")
    assert "No such file" in summary.missing[0]
    (scan.folder / "parameters.txt").write_bytes(b"\xff\xfe not utf-8")
    scan.refresh()
    assert "parameters.txt" in scan.summary.missing[0]


def test_nothing_is_cached_after_an_error(scratch_root: Path) -> None:
    scan = _scan(scratch_root)
    path = scan.folder / "image00040.tiff"
    good = path.read_bytes()
    path.write_bytes(good[:500])
    with pytest.raises(CorruptFrameError):
        _ = scan.raw
    path.write_bytes(good)
    assert scan.raw["images"].shape == (84, 195, 487)


def test_progress_bar_shows_on_a_terminal_when_asked(
    scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    _ = _scan(scratch_root, progress=True).raw
    assert "20210205/091726" in screen.getvalue()
    assert "84/84" in screen.getvalue()
    quiet = Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    _ = _scan(scratch_root, progress=False).raw
    assert quiet.getvalue() == ""


def test_progress_bar_is_quiet_when_not_interactive(
    scratch_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ = _scan(scratch_root).raw
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_metadata_holds_parameters_and_manifest_columns(udkm_root: Path) -> None:
    scan = nx5d_core.open_repository(str(udkm_root))["20210205"]["091726"]
    meta = scan.metadata
    assert meta["parameters/start_time"].startswith("2021-02-05T09:17:26")
    assert any(c.startswith("Theta") for c in meta["manifest/columns"])
    assert meta["manifest/rows"] == scan.summary.num_frames


@pytest.mark.parametrize(
    "form", ["{proposal}/{scan}", "{proposal}/{scan}/", "{proposal}/{scan}/manifest.dat"]
)
def test_folder_style_patterns_from_nx5d_docs_open_and_are_guessed(
    udkm_root: Path, form: str
) -> None:
    repo = nx5d_core.open_repository(f"file://{udkm_root}/{form}")  # no adapter=: guessed
    assert repo.name == "udkm"
    proposal = repo["20210205"]
    assert proposal.keys() == ["091726", "101500", "113045"]
    assert all(e.error is None for e in proposal.summaries())


def test_parameters_written_by_windows_software_are_read(scratch_root: Path) -> None:
    params = scratch_root / "20210205" / "091726" / "parameters.txt"
    params.write_bytes(
        "type = delay-theta\ndescription = cryostat at 20 °C, 5 µm slit\n".encode("cp1252")
    )
    scan = nx5d_core.open_repository(str(scratch_root))["20210205"]["091726"]
    assert scan.summary.description == "cryostat at 20 °C, 5 µm slit"
    assert scan.summary.missing == []


def test_cooking_without_spice_says_which_defaults_it_used(
    scratch_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from nx5d_core.spice import view as view_module

    view_module._WARNED.discard("rsm")
    scan = nx5d_core.open_repository(str(scratch_root))["20210205"]["091726"]
    with caplog.at_level("WARNING", logger="nx5d_core.spice.view"):
        cooked = scan.cooked
        scan.refresh()
        scan.cooked  # noqa: B018 - a second cook: the warning is not repeated
    warned = [r.getMessage() for r in caplog.records if "not seeded" in r.getMessage()]
    assert len(warned) == 1
    assert "'rsm'" in warned[0]
    defaults = json.loads(cooked.attrs["nx5d_spice_defaults"])
    assert "rsm" in defaults
    assert defaults["rsm"]["energy_ev"] == pytest.approx(8047.0)
    scan.proposal.spice.seed("rsm", defaults["rsm"], type="rsm")
    assert "nx5d_spice_defaults" not in scan.cook(lazy=False).attrs


def test_options_are_typed_and_shape_the_cook_key(udkm_root: Path) -> None:
    from nx5d_core.errors import AdapterOptionError

    with pytest.raises(
        AdapterOptionError, match=r"no option 'reduced'; its options: .*reduce.*roi"
    ):
        nx5d_core.open_repository(str(udkm_root), reduced=2)
    with pytest.raises(AdapterOptionError, match=r"reduce"):
        nx5d_core.open_repository(str(udkm_root), reduce="two")
    with pytest.raises(ValueError, match="empty or inverted"):
        nx5d_core.open_repository(str(udkm_root), roi=[50, 10, 0, 100])
    full = nx5d_core.open_repository(str(udkm_root))["20210205"]["091726"]
    half = nx5d_core.open_repository(str(udkm_root), reduce=2, roi=[0, 100, 0, 200])["20210205"][
        "091726"
    ]
    assert half.raw["images"].shape[1:] == (50, 100)
    a, b = full.cooked, half.cooked
    assert a.attrs["nx5d_cook_key"] != b.attrs["nx5d_cook_key"]
    assert json.loads(b.attrs["nx5d_options"]) == {"reduce": 2, "roi": [0, 100, 0, 200]}


def test_cli_passes_options(udkm_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nx5d_core.cli import main

    assert main(["ls", str(udkm_root), "20210205", "091726", "--option", "reduce=3"]) == 0
    assert "images" in capsys.readouterr().out
    assert main(["ls", str(udkm_root), "--option", "bogus=1"]) == 1
    assert "its options:" in capsys.readouterr().err


def test_block_frames_is_a_speed_option_not_a_spice_parameter(udkm_root: Path) -> None:
    from nx5d_udkm.rsm import RsmParams

    assert "block_frames" not in RsmParams.model_fields
    old_record = RsmParams.model_validate({"block_frames": 8, "grid": [20, 30]})  # older records
    assert old_record.grid == (20, 30)
    a = nx5d_core.open_repository(str(udkm_root), block_frames=8)["20210205"]["091726"].cooked
    b = nx5d_core.open_repository(str(udkm_root))["20210205"]["091726"].cooked
    assert a.attrs["nx5d_cook_key"] == b.attrs["nx5d_cook_key"]  # the same result, the same key
    xr.testing.assert_allclose(a["intensity"], b["intensity"])
