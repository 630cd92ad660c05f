"""Progress bars where users read: executed in a real Jupyter kernel (nbclient), not assumed.

In a notebook the output is not a terminal, so tqdm's own check would hide every bar: reading
frames with ``progress=True`` showed nothing (issue 30, item 3). With ipywidgets the bar is a
widget; without them it is tqdm's text bar on the cell's stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

SETUP = """
import nx5d_core
import nx5d_core.progress
from nx5d_udkm.sample import make_repository
from pathlib import Path
root = make_repository(Path({folder!r}), scans={{"20210205": ["091726"]}}, delays=2, loops=1)
repo = nx5d_core.open_repository(str(root), progress=True)
scan = repo["20210205"]["091726"]
frames = scan.summary.num_frames
"""


def _run(cells: list[str], tmp_path: Path) -> list[dict[str, object]]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}  # fmt: skip
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()
    return [dict(o) for o in notebook.cells[-1].outputs]


@pytest.mark.slow
def test_a_notebook_shows_a_widget_bar_when_ipywidgets_is_there(tmp_path: Path) -> None:
    pytest.importorskip("ipywidgets")
    outputs = _run([SETUP.format(folder=str(tmp_path / "r")), "raw = scan.raw\nprint(sorted(raw.data_vars))"], tmp_path)  # fmt: skip
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]  # type: ignore[operator]
    assert widgets, outputs
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in widgets)  # type: ignore[union-attr]
    assert "20210205/091726" in text  # the bar names the scan it reads
    assert any("images" in str(o.get("text", "")) for o in outputs)  # and the cell still ran


@pytest.mark.slow
def test_a_notebook_without_ipywidgets_shows_the_text_bar(tmp_path: Path) -> None:
    cells = [
        SETUP.format(folder=str(tmp_path / "r")),
        "nx5d_core.progress._has_widgets = lambda: False  # as without ipywidgets",
        "raw = scan.raw",
    ]
    outputs = _run(cells, tmp_path)
    stderr = "".join(str(o.get("text", "")) for o in outputs if o.get("name") == "stderr")
    assert "20210205/091726" in stderr, outputs
    assert "frame" in stderr
    assert "100%" in stderr  # the bar finished: every frame was counted


def test_no_bar_where_output_is_not_interactive_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    from nx5d_core.progress import progress_bar

    for show, shown in ((None, False), (True, True), (False, False)):
        with progress_bar(total=3, desc="quiet", unit="frame", show=show) as bar:
            bar.update(3)
        err = capsys.readouterr().err
        assert ("quiet" in err) is shown, (show, err)
    assert not sys.stderr.isatty()
