"""The nx5d command line."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

import nx5d_core
from nx5d_core.cli import main


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "lab.yml").write_text(
        "url: memory://lab\nadapter: memory\n"
        f"spice: {tmp_path / 'spice.sqlite'}\n"
        "options:\n  data:\n    '20210205':\n      r1: [1, 2, 3]\n      r10: [4]\n      r2: [5, 6]\n"
    )
    monkeypatch.setenv("NX5D_CONFIG_PATH", str(folder))
    return tmp_path


def test_adapters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["adapters"]) == 0
    out = capsys.readouterr().out
    assert "memory\tProposals and scans held in memory" in out
    assert "patterns: memory://*" in out
    assert "from: nx5d-memory" in out


def test_ls_proposals_scans_and_scan(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "lab"]) == 0
    assert capsys.readouterr().out.split() == ["20210205"]
    assert main(["ls", "lab", "20210205"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header == "# key\ttype\tframes\ttime\tdescription"
    assert [line.split("\t")[0] for line in lines] == ["r1", "r2", "r10"]
    assert lines[0].split("\t")[2] == "3"
    assert main(["ls", "lab", "20210205", "r2"]) == 0
    out = capsys.readouterr().out
    assert "num_frames: 2" in out
    assert "value\t('dim_0',)\tint64" in out


def test_show_reads_no_bulk_data(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "lab", "20210205", "r10"]) == 0
    assert "key: r10" in capsys.readouterr().out


def test_errors_are_reported_with_exit_code(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "lab", "20210205", "r3"]) == 1
    err = capsys.readouterr().err
    assert "scan 'r3' not found in proposal '20210205'" in err
    assert main(["ls", "ftp://nowhere/{proposal}/{scan}"]) == 1
    assert "no installed adapter recognises" in capsys.readouterr().err
    assert main(["ls", "memory://x", "--adapter", "nosuch"]) == 1
    assert "installed adapters: " in capsys.readouterr().err


def test_spice_commands(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["spice", "lab", "20210205"]
    assert main([*base, "seed", "norm", "--type", "free", "--data", '{"factor": 2}']) == 0
    assert main([*base, "anchor", "norm", "r2", "--data", '{"factor": 3}']) == 0
    assert (
        main([*base, "update", "norm", "--scan", "r10", "--data", '{"factor": 4}', "--base", "0"])
        == 0
    )
    capsys.readouterr()
    assert main([*base, "view", "r1"]) == 0
    assert '"factor": 2' in capsys.readouterr().out
    assert main([*base, "view", "r10"]) == 0
    assert '"factor": 4' in capsys.readouterr().out
    assert (
        main([*base, "update", "norm", "--scan", "r10", "--data", '{"factor": 5}', "--base", "0"])
        == 1
    )
    assert "started from revision 0 but revision 1 is current" in capsys.readouterr().err
    assert main([*base, "history", "norm"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main([*base, "diff", "norm", "0", "1", "--anchor", "r2"]) == 0
    assert "factor: 3 -> 4" in capsys.readouterr().out
    out_dir = lab / "exported"
    assert main([*base, "export", str(out_dir), "--nx5d"]) == 0
    assert len(list(out_dir.glob("*.json"))) == 3


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A named config without a spice store, and no NX5D_SPICE."""
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "bare.yml").write_text(
        "url: memory://bare\nadapter: memory\noptions:\n  data:\n    p1:\n      r1: [1]\n"
    )
    monkeypatch.setenv("NX5D_CONFIG_PATH", str(folder))
    monkeypatch.delenv("NX5D_SPICE", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_spice_without_a_store_is_refused_for_reads_and_writes(
    bare: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unnamed store is empty: a write to it would be lost, a read of it would print "{}"
    with exit 0, as if the proposal had no parameters."""
    for op in (["seed", "norm", "--type", "free"], ["anchor", "norm", "r1"], ["delete", "norm"], ["view", "r1"], ["history", "norm"]):  # fmt: skip
        assert main(["spice", "bare", "p1", *op]) == 2
        err = capsys.readouterr().err
        assert "no spice store is named" in err
        assert "--spice" in err
        assert "NX5D_SPICE" in err
    assert sorted(p.name for p in bare.iterdir()) == ["configs"]  # nothing written anywhere


def test_spice_store_from_option_anywhere_or_environment(
    bare: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bare / "here.sqlite"
    args = ["spice", "bare", "p1", "seed", "norm", "--type", "free", "--data", '{"f": 1}']
    assert main([*args, "--spice", str(store)]) == 0  # --spice after the positionals
    assert store.exists()
    monkeypatch.setenv("NX5D_SPICE", str(bare / "env.sqlite"))
    assert main(["spice", "bare", "p1", "seed", "other", "--type", "free"]) == 0
    assert (bare / "env.sqlite").exists()
    capsys.readouterr()
    assert main(["spice", "bare", "p1", "view", "r1", "--spice", str(store)]) == 0
    assert '"f": 1' in capsys.readouterr().out


def test_relative_spice_path_in_a_config_is_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "lab.yml").write_text(
        "url: memory://lab\nadapter: memory\nspice: stores/lab.sqlite\n"
    )
    monkeypatch.setenv("NX5D_CONFIG_PATH", str(folder))
    monkeypatch.chdir(tmp_path)
    from nx5d_core.config import load_config

    assert load_config("lab").spice == str(folder / "stores" / "lab.sqlite")


def test_pattern_that_matches_nothing_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p1").mkdir()
    (tmp_path / "p1" / "image.tiff").write_bytes(b"II*\x00")
    assert main(["ls", f"file://{tmp_path}/{{proposal}}/{{scan}}.nxs", "--adapter", "hdf5"]) == 1
    err = capsys.readouterr().err
    assert "no proposals found" in err
    assert "nothing matched" in err
    assert str(tmp_path) in err


def test_guess_errors_speak_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "ftp://nowhere/{proposal}/{scan}"]) == 1
    err = capsys.readouterr().err
    assert "--adapter" in err
    assert "adapter=..." not in err


def test_ls_scan_is_brief_and_show_is_whole(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "lab", "20210205", "r2"]) == 0
    brief = capsys.readouterr().out
    assert main(["show", "lab", "20210205", "r2"]) == 0
    whole = capsys.readouterr().out
    assert brief != whole
    assert "metadata (" in whole
    assert "metadata (" not in brief
    assert "value\t('dim_0',)\t2\tint64" in whole  # shapes only in show


@pytest.mark.slow
def test_demo_shows_the_time_resolved_effect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's sample is physically consistent: the cooked SRO (002) peak sits where the
    lattice puts it before time zero and moves by the model's 0.15 % strain; STO stays."""
    import h5py
    from nx5d_udkm.sample import FILM_STRAIN, Q_FILM, Q_SUBSTRATE

    assert main(["demo", "--out", str(tmp_path), "--frames", "84"]) == 0
    out = capsys.readouterr().out
    table = [
        line.split()
        for line in out.splitlines()
        if line.strip().endswith(tuple("0123456789")) and " ps " in line
    ]
    rows = [(r[0], float(r[2]), r[3], float(r[4])) for r in table if len(r) == 5]
    assert len(rows) >= 4
    assert abs(rows[0][1] - Q_FILM) < 0.001  # before time zero
    assert rows[-1][1] < rows[0][1]  # expanded after excitation
    assert abs(rows[0][1] / rows[-1][1] - 1 - FILM_STRAIN) < 0.0005
    assert all(abs(r[3] - Q_SUBSTRATE) < 0.001 for r in rows)
    assert "e+0" not in out  # delays written as numbers people read
    nexus = next(tmp_path.glob("rsm-*.nxs"))
    with h5py.File(nexus) as f:
        assert f["entry/data/qz"].attrs["units"] == "1/angstrom"
        assert f["entry/start_time"][()].decode().startswith("2021-02-05T")
        assert f["entry/data/intensity"].attrs["units"] == "counts"
        process = f["entry/process"]  # provenance as NeXus keeps it, not only JSON attributes
        assert process.attrs["NX_class"] == "NXprocess"
        assert process["program"][()].decode().startswith("nx5d recipe rsm")
        assert process["version"][()].decode() == f["entry"].attrs["nx5d_recipe_version"]
        assert json.loads(process["parameters/data"][()])["grid"] == [40, 80]
        assert process["parameters"].attrs["NX_class"] == "NXnote"
        assert "101500" in process["spice/data"][()].decode()
    assert next(tmp_path.glob("rsm-*.png")).stat().st_size > 10_000


def test_the_demo_figure_explains_itself(tmp_path: Path) -> None:
    """Every colour scale has a bar, delays read as numbers on the symlog axis, the split line
    and the grey no-data region are labelled (issue 30, item 11)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from nx5d_udkm.sample import Q_FILM, Q_SUBSTRATE, make_repository

    from nx5d_core.cli.demo import rsm_figure

    root = make_repository(tmp_path / "r", scans={"20210205": ["113045"]}, delays=4, loops=1)
    scan = nx5d_core.open_repository(str(root), spice=tmp_path / "s.sqlite")["20210205"]["113045"]
    cooked = scan.cook(recipe="rsm", rsm={"grid": [30, 60], "q_range": [-0.03, 0.03, 3.15, 3.25]})
    fig = rsm_figure(cooked, split=(Q_FILM + Q_SUBSTRATE) / 2)
    try:
        fig.canvas.draw()
        ax_map, ax_time, ax_cut = fig.axes[:3]
        bars = [a for a in fig.axes[3:] if a.get_ylabel()]
        assert sorted(a.get_ylabel() for a in bars) == ["counts", "counts per pixel"]
        labels = [t.get_text() for t in ax_time.get_xticklabels()]
        assert "0" in labels
        assert not any("10^" in t or "$" in t for t in labels), labels
        assert any("film | substrate" in t.get_text() for t in ax_cut.get_legend().get_texts())
        assert ax_map.get_facecolor()[:3] != (1.0, 1.0, 1.0)  # no data is grey, not blank
        assert any("no data" in t.get_text() for t in ax_map.texts)
    finally:
        plt.close(fig)


def test_paths_are_printed_normalised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    messy = f"{tmp_path}/empty/../empty//"
    assert main(["ls", messy + "{proposal}/{scan}.nxs", "--adapter", "hdf5"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}/empty/{{proposal}}" in err
    assert "/../" not in err
    assert "//" not in err.replace("file://", "")


def test_ls_of_a_folder_of_several_formats_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    """A beamline folder with HDF5 in one folder and SPEC in another is no HDF5 repository: the
    guess names what the folder holds (it listed the HDF5 folder alone, exit 0); naming the
    adapter lists the HDF5 folders and warns about the others."""
    import h5py
    import numpy as np
    from nx5d_spec.sample import write_spec

    (tmp_path / "a").mkdir()
    with h5py.File(tmp_path / "a" / "s.h5", "w") as handle:
        handle["data"] = np.arange(3.0)
    write_spec(tmp_path / "b" / "fourc.dat", scans=(1,))
    assert main(["ls", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no installed adapter recognises" in err
    assert "a/ 1 .h5; b/ 1 .dat" in err
    assert main(["ls", str(tmp_path), "--adapter", "hdf5"]) == 0
    assert capsys.readouterr().out.split() == ["a"]
    assert "folders without HDF5 files are not proposals: b" in caplog.text


def test_options_stand_anywhere_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """docs/cli.md: --adapter, --spice, --option and --no-index may stand anywhere after the
    command, between the positionals too; --version; a busy port is said before "serving"."""
    from nx5d_udkm.sample import make_repository

    root = str(make_repository(tmp_path / "r", scans={"20210205": ["091726"]}, delays=2, loops=1))
    opts = ["--adapter", "udkm", "--option", "reduce=2", "--no-index"]
    placements = {
        "ls": [
            [root, "20210205", "091726", *opts],
            [root, *opts, "20210205", "091726"],
            [root, "20210205", *opts, "091726"],
            [*opts, root, "20210205", "091726"],
            [root, "--option", "reduce=2", "20210205", "--adapter", "udkm", "091726", "--no-index"],
        ],
        "show": [[root, "20210205", "091726", *opts], [root, *opts, "20210205", "091726"]],
        "search": [[root, "num_frames > 1", *opts], [root, *opts, "num_frames > 1"]],
    }
    for command, variants in placements.items():
        outputs = []
        for argv in variants:
            assert main([command, *argv]) == 0, (command, argv, capsys.readouterr().err)
            outputs.append(capsys.readouterr().out)
        assert all(out == outputs[0] for out in outputs), command
        assert outputs[0].strip()
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("nx5d_core ")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", root, "--port", str(port), "--api-key", "k3y"]) == 2
    captured = capsys.readouterr()
    assert f"cannot listen on 127.0.0.1:{port}" in captured.err
    assert "serving" not in captured.err


def test_show_prints_a_summary_and_the_rest_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """A real SLS STXM scan has 936 metadata entries: show gives the first 20 and says how to
    see the rest."""
    import h5py
    import numpy as np

    (tmp_path / "p").mkdir()
    with h5py.File(tmp_path / "p" / "s.h5", "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "counts"})
        data["counts"] = np.arange(5.0)
        for n in range(300):
            entry[f"instrument/motor_{n:03d}"] = float(n)
    args = ["show", str(tmp_path), "p", "s", "--adapter", "hdf5"]
    assert main(args) == 0
    short = capsys.readouterr().out.splitlines()
    assert len(short) < 60
    assert "... 280 more: nx5d show ... --metadata" in short[-1]
    assert main([*args, "--metadata"]) == 0
    whole = capsys.readouterr().out
    assert "instrument/motor_299: 299.0" in whole


def test_the_cli_aggregates_every_plugins_repeated_warnings_on_its_own_handler_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A warning per scan over 20,000 scans must not print 20,000 lines: the handler the CLI
    makes lets the first three through, then one per power of ten with the count. A handler
    somebody else installed (here pytest's capture) keeps every record."""
    import subprocess
    import sys

    script = (
        "import logging\n"
        "from nx5d_core.cli import _configure_logging\n"
        "_configure_logging(0)\n"
        "log = logging.getLogger('nx5d_hdf5.adapter')\n"
        "for n in range(250):\n"
        "    log.warning('%s: no parameters file', f'scan{n}')\n"
        "logging.getLogger('nx5d_spec.adapter').warning('another message')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    lines = run.stderr.splitlines()
    assert len(lines) == 3 + 2 + 1, lines  # three, the 10th and 100th with counts, the other one
    assert "scan9: no parameters file [repeated 10 times so far" in lines[3]
    assert "[repeated 100 times so far" in lines[4]
    assert lines[-1].endswith("another message")

    from nx5d_core.cli import _configure_logging

    with caplog.at_level(logging.WARNING):
        _configure_logging(0)
        for n in range(20):
            logging.getLogger("nx5d_hdf5.adapter").warning("%s: no parameters file", n)
    assert len([r for r in caplog.records if "no parameters file" in r.getMessage()]) == 20
