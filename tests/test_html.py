"""Jupyter HTML reprs: parsed structure (always) and the rendered DOM in a real headless browser
(Debian's chromium, installed by .ci/run where apt-get is available; skipped elsewhere)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import nx5d_core


def _repository() -> nx5d_core.Repository:
    from nx5d_memory import MemoryRepository

    scans: dict[str, object] = {}
    for n in range(1, 61):
        ds = xr.Dataset(
            {
                "counts": ("frame", np.arange(n % 7 + 1)),
                "image": (("frame", "y", "x"), np.zeros((n % 7 + 1, 2, 3))),
            },
            attrs={"type": "ascan" if n % 2 else "mesh", "description": f"scan <{n}>"},
        )
        ds["counts"].attrs["units"] = "counts"
        scans[f"s{n}"] = ds
    scans["s13"] = xr.Dataset({"counts": ("frame", [1])}, attrs={"time": "not a time"})
    repo = MemoryRepository("memory://html", data={"p1": scans}, cook=lambda raw, spice: raw.sum())
    repo["p1"].spice.seed("norm", {"factor": 2}, type="free")
    return repo


class _Outline(HTMLParser):
    """Sections (summary text -> open?), failed rows, sortable headers, scroll boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, bool] = {}
        self._open: list[bool] = []
        self._in_summary = False
        self._text = ""
        self.failed_rows = 0
        self.sortable = 0
        self.scroll = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "details":
            self._open.append("open" in a)
        elif tag == "summary":
            self._in_summary, self._text = True, ""
        elif tag == "tr" and "nx5d-failed" in (a.get("class") or ""):
            self.failed_rows += 1
        elif tag == "th" and a.get("onclick"):
            self.sortable += 1
        elif tag == "div" and "nx5d-scroll" in (a.get("class") or ""):
            self.scroll += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self._in_summary = False
            self.sections[self._text.split("(")[0].strip()] = self._open[-1]
        elif tag == "details":
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._in_summary:
            self._text += data


def test_scan_html_has_collapsible_sections_and_reads_no_bulk_data() -> None:
    scan = _repository()["p1"]["s2"]
    _ = scan.cooked
    scan._raw = None
    outline = _Outline()
    outline.feed(scan._repr_html_())
    assert outline.sections == {
        "Summary": True,
        "Variables": True,
        "Streams": False,
        "Metadata": False,
        "Spice": False,
        "Cooked": False,
    }
    html = scan._repr_html_()
    assert "frame, y, x" in html
    assert "3×2×3" in html
    assert "counts" in html
    assert "&lt;2&gt;" in html
    assert "{&quot;factor&quot;: 2}" in html  # the spice view's values
    assert scan._raw is None  # no bulk read


def test_proposal_html_marks_failed_scans_and_sorts() -> None:
    outline = _Outline()
    outline.feed(_repository()["p1"]._repr_html_())
    assert outline.failed_rows == 1
    assert outline.sortable == 6
    assert outline.scroll == 1


def test_spice_view_and_history_reprs_show_values() -> None:
    spice = _repository()["p1"].spice
    spice.update("norm", {"factor": 3})
    view = spice.view("s5")
    assert 'norm (r1 from (start)): {"factor": 3}' in repr(view)
    assert "{&quot;factor&quot;: 3}" in view._repr_html_()
    history = spice.history("norm")
    assert isinstance(history, list)
    assert len(history) == 2
    text = repr(history)
    assert "r0" in text
    assert '{"factor": 2}' in text
    assert "r1" in text
    outline = _Outline()
    outline.feed(history._repr_html_())
    assert outline.sortable == 6


class _Cells(HTMLParser):
    """The text of every table row, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell += data


def test_the_spice_view_shows_the_values_a_cook_uses_and_where_each_comes_from(tmp_path: Path) -> None:  # fmt: skip
    pytest.importorskip("xrayutilities")
    from nx5d_udkm.sample import make_repository

    root = make_repository(tmp_path / "udkm", scans={"20210205": ["091726", "101500"]}, delays=2)
    proposal = nx5d_core.open_repository(str(root), spice=tmp_path / "spice.sqlite")["20210205"]
    proposal.spice.seed("rsm", {"grid": [40, 80]}, type="rsm", author="alice")
    proposal.spice.anchor("rsm", "101500", {"detector": {"distance_m": 0.52}}, author="bob")
    scan = proposal["101500"]
    cells = _Cells()
    cells.feed(scan.spice._repr_html_())
    fields = {row[0]: row[1:] for row in cells.rows if len(row) == 3}
    assert fields["detector.distance_m"] == ["0.52", "record r0 from 101500"]
    assert fields["detector.center_pixel"][1] == "adapter default"
    assert fields["grid"] == ["[40, 80]", "record r0 from 101500"]
    assert "null" not in scan.spice._repr_html_()  # no field left as None is shown as a value
    cooked = scan.cook(recipe="rsm")
    params = json.loads(cooked.attrs["nx5d_recipe_params"])
    assert params["detector"]["distance_m"] == 0.52  # what the repr said is what the cook used
    assert list(params["detector"]["center_pixel"]) == json.loads(fields["detector.center_pixel"][0])  # fmt: skip
    # an unseeded scan of another proposal: its default recipe shown with the defaults
    other = make_repository(tmp_path / "u2", scans={"20210206": ["091726"]}, delays=2)
    lone = nx5d_core.open_repository(str(other), spice=tmp_path / "s2.sqlite")["20210206"]["091726"]
    cells = _Cells()
    cells.feed(lone._repr_html_())
    assert any(row[:1] == ["rsm"] and "not seeded: defaults" in row for row in cells.rows)
    assert any(row[:1] == ["detector.distance_m"] and row[2] == "adapter default" for row in cells.rows)  # fmt: skip

    # the proposal's spice: every chain at its newest revision, fields the records set
    cells = _Cells()
    cells.feed(proposal.spice._repr_html_())
    chains = [row for row in cells.rows if row]
    assert [row[2] for row in chains] == ["(start)", "101500"]
    assert chains[1][4] == "bob"
    assert json.loads(chains[0][6]) == {"grid": [40, 80]}

    # a map whose bins are mostly empty says where it has data
    assert "1/angstrom" in cooked.attrs["nx5d_covered"]
    covered = int((cooked["coverage"] > 0).any("Delay").sum())
    assert f"{covered:,} of {40 * 80:,} bins" in cooked.attrs["nx5d_covered"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_PROBE = """
<pre id="result">pending</pre>
<script>
function run() {
  var out = {};
  var sections = document.querySelectorAll('details.nx5d-section');
  out.sections = Array.prototype.map.call(sections, function (d) {
    return d.querySelector('summary').textContent.split('(')[0].trim();
  });
  var meta = Array.prototype.filter.call(sections, function (d) {
    return d.querySelector('summary').textContent.indexOf('Metadata') === 0;
  })[0];
  out.metaBefore = meta.open;
  meta.querySelector('summary').click();
  out.metaAfter = meta.open;
  var table = document.querySelector('#proposal table');
  var head = table.querySelectorAll('th')[3];  // num_frames
  head.click();
  var col = function () {
    return Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.cells[0].textContent; });
  };
  out.ascending = col().slice(0, 3);
  head.click();
  out.descending = col().slice(0, 3);
  table.querySelectorAll('th')[0].click();
  out.byKey = col().slice(0, 4);
  var box = document.querySelector('#proposal .nx5d-scroll');
  out.scrolls = box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY === 'auto';
  out.failedColor = getComputedStyle(document.querySelector('tr.nx5d-failed td')).color;
  document.getElementById('result').textContent = JSON.stringify(out);
}
window.addEventListener('load', run);
</script>
"""


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (.ci/run installs it where apt-get works)",
)
def test_rendered_dom_in_headless_chromium(tmp_path: Path) -> None:
    repo = _repository()
    page = tmp_path / "page.html"
    page.write_text(
        "<!doctype html><html><body>"
        f"<div id='proposal'>{repo['p1']._repr_html_()}</div>"
        f"<div id='scan'>{repo['p1']['s2']._repr_html_()}</div>"
        f"<div id='spice'>{repo['p1'].spice._repr_html_()}</div>{_PROBE}</body></html>",
        encoding="utf-8",
    )
    profile = tmp_path / "profile"
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
    ]  # fmt: skip
    done = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index('<pre id="result">') + len('<pre id="result">')
    result = json.loads(
        done.stdout[start : done.stdout.index("</pre>", start)].replace("&quot;", '"')
    )
    assert result["sections"] == ["Summary", "Variables", "Streams", "Metadata", "Spice", "Cooked"]
    assert (result["metaBefore"], result["metaAfter"]) == (False, True)
    assert result["scrolls"] is True
    frames_up = [int(k[1:]) % 7 + 1 for k in result["ascending"] if k != "s13"]
    assert frames_up == sorted(frames_up)
    assert result["ascending"] != result["descending"]
    assert result["byKey"] == ["s1", "s2", "s3", "s4"]  # natural order, not s1, s10, s11
    assert result["failedColor"] == "rgb(187, 0, 0)"
    spice = done.stdout[done.stdout.index('<div id="spice">') :]
    cells = _Cells()
    cells.feed(spice[: spice.index("</table>")])
    assert [row[:3] for row in cells.rows if row] == [["norm", "free", "(start)"]]  # the proposal's spice renders
