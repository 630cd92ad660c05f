"""The nx5d command line."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    lines = capsys.readouterr().out.splitlines()
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
