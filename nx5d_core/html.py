"""HTML representations for Jupyter, in the manner of xarray's: collapsible sections
(``<details>``, no script needed), tables that scroll, sortable columns (a click on a header;
where a notebook does not run inline handlers the table stays in its own order), everything
escaped. Nothing here reads bulk data: variables come from the lazy layout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .proposal import Proposal
    from .repository import Repository
    from .scan import Scan
    from .search import ScanSelection
    from .spice.proposal_spice import ProposalSpice
    from .spice.records import SpiceRecord
    from .spice.view import SpiceView

__all__ = [
    "history_html",
    "proposal_html",
    "proposal_spice_html",
    "repository_html",
    "scan_html",
    "selection_html",
    "spice_view_html",
]

_CSS = (
    "<style>"
    ".nx5d{font-family:var(--jp-content-font-family,sans-serif);font-size:13px}"
    ".nx5d details{margin:2px 0}.nx5d summary{cursor:pointer;font-weight:600}"
    ".nx5d .nx5d-scroll{max-height:24em;overflow:auto;border:1px solid #ddd}"
    ".nx5d table{border-collapse:collapse}.nx5d td,.nx5d th{padding:1px 8px;text-align:left}"
    ".nx5d th.nx5d-sort{cursor:pointer}.nx5d tr.nx5d-failed td{color:#b00}"
    ".nx5d .nx5d-muted{color:#777}"
    "</style>"
)
# sorts the table body by the clicked column: numbers as numbers, text in natural order
_SORT = (
    "(function(h){var t=h.closest('table'),b=t.tBodies[0],"
    "i=Array.prototype.indexOf.call(h.parentNode.children,h),"
    "d=h.getAttribute('data-dir')==='asc'?-1:1;h.setAttribute('data-dir',d>0?'asc':'desc');"
    "var r=Array.prototype.slice.call(b.rows);r.sort(function(x,y){"
    "var a=x.cells[i]?x.cells[i].textContent:'',c=y.cells[i]?y.cells[i].textContent:'';"
    "var n=parseFloat(a),m=parseFloat(c);"
    "return d*(isNaN(n)||isNaN(m)?a.localeCompare(c,undefined,{numeric:true}):n-m)});"
    "r.forEach(function(e){b.appendChild(e)})})(this)"
)


def _cell(value: Any) -> str:
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _table(
    header: Iterable[str], rows: Iterable[str], *, sortable: bool = False, scroll: bool = True
) -> str:
    attrs = f' class="nx5d-sort" onclick="{escape(_SORT)}" title="sort"' if sortable else ""
    head = "".join(f"<th{attrs}>{escape(h)}</th>" for h in header)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div class="nx5d-scroll">{table}</div>' if scroll else table


def _section(title: str, body: str, *, opened: bool, count: int | None = None) -> str:
    label = escape(title) + ("" if count is None else f" <span class='nx5d-muted'>({count})</span>")
    return f'<details class="nx5d-section"{" open" if opened else ""}><summary>{label}</summary>{body}</details>'


def _pairs(mapping: Mapping[str, Any]) -> str:
    rows = [f"<tr><th>{escape(str(k))}</th>{_cell(v)}</tr>" for k, v in mapping.items()]
    return _table(("name", "value"), rows) if rows else "<i>none</i>"


def _error(exc: Exception) -> str:
    return f'<div class="nx5d-muted" style="color:#b00">{escape(type(exc).__name__)}: {escape(str(exc))}</div>'


def _wrap(title: str, body: str) -> str:
    return f'{_CSS}<div class="nx5d">{title}{body}</div>'


def repository_html(repo: Repository) -> str:
    """Proposals of a repository, one row each (sortable)."""
    handles = {k: h for h, k in repo.handles().items()}
    rows = [f"<tr>{_cell(k)}{_cell(handles[k])}</tr>" for k in repo]
    title = f"<b>{escape(type(repo).__name__)}</b> {escape(repo.url)}: {len(rows)} proposals"
    return _wrap(title, _table(("key", "handle"), rows, sortable=True))


_COLUMNS = ("key", "handle", "type", "num_frames", "time", "description")


def proposal_html(proposal: Proposal) -> str:
    """Scans of a proposal with their summaries (sortable); failed scans marked with their error."""
    rows, failed = [], 0
    for entry in proposal.summaries():
        if entry.summary is None:
            failed += 1
            error = f"failed: {type(entry.error).__name__}: {entry.error}"
            rows.append(
                f'<tr class="nx5d-failed">{_cell(entry.key)}{_cell(entry.handle)}'
                f'<td colspan="4">{escape(error)}</td></tr>'
            )
            continue
        s = entry.summary
        time = "" if s.time is None else s.time.isoformat(timespec="seconds")
        values = (entry.key, entry.handle, s.type, s.num_frames, time, s.description)
        rows.append("<tr>" + "".join(_cell(v) for v in values) + "</tr>")
    note = f", <span style='color:#b00'>{failed} failed</span>" if failed else ""
    title = f"<b>Proposal</b> {escape(proposal.key)}: {len(rows)} scans{note}"
    return _wrap(title, _table(_COLUMNS, rows, sortable=True))


def selection_html(selection: ScanSelection) -> str:
    """Scans found across a repository, oldest first (sortable)."""
    rows = []
    for scan in selection:
        s = scan.summary
        time = "" if s.time is None else s.time.isoformat(timespec="seconds")
        values = (scan.proposal.key, scan.key, s.type, s.num_frames, time, s.description)
        rows.append("<tr>" + "".join(_cell(v) for v in values) + "</tr>")
    header = ("proposal", "key", "type", "num_frames", "time", "description")
    title = f"<b>Scans</b> where {escape(selection.label)}: {len(rows)}"
    return _wrap(title, _table(header, rows, sortable=True))


def _variables(scan: Scan) -> str:
    lazy = scan.lazy()
    rows = []
    for kind, items in (("coordinate", lazy.coords.items()), ("variable", lazy.data_vars.items())):
        for name, var in items:
            shape = "×".join(map(str, var.shape)) or "scalar"
            dims = ", ".join(map(str, var.dims))
            rows.append(
                f"<tr>{_cell(name)}{_cell(kind)}{_cell(dims)}{_cell(shape)}"
                f"{_cell(var.dtype)}{_cell(var.attrs.get('units', ''))}</tr>"
            )
    return _table(("name", "kind", "dims", "shape", "dtype", "units"), rows, sortable=True)


def scan_html(scan: Scan) -> str:
    """A scan: summary, variables (from the lazy layout), metadata, spice view, cached cooks."""
    parts = []
    try:
        parts.append(_section("Summary", _pairs(scan.summary.model_dump()), opened=True))
    except Exception as exc:  # noqa: BLE001 - shown instead of raised: a repr must not fail
        parts.append(_section("Summary", _error(exc), opened=True))
    sections: list[tuple[str, Callable[[], str], bool]] = [
        ("Variables", lambda: _variables(scan), True),
        ("Streams", lambda: escape(", ".join(scan.streams)), False),
        ("Metadata", lambda: _pairs(scan.metadata), False),
        (
            "Spice",
            lambda: spice_view_html(
                scan.spice, wrap=False, also=[r for r in [scan.default_recipe] if r]
            ),
            False,
        ),
    ]
    for title, build, opened in sections:
        try:
            parts.append(_section(title, build(), opened=opened))
        except Exception as exc:  # noqa: BLE001 - each section fails on its own
            parts.append(_section(title, _error(exc), opened=opened))
    cooks = [
        f"<tr>{_cell(c.attrs.get('nx5d_cook_key', '')[:12])}{_cell(c.attrs.get('nx5d_spice', ''))}"
        f"{_cell(c.attrs.get('nx5d_spice_defaults', ''))}</tr>"
        for c in scan._cooked.values()
    ]
    parts.append(
        _section(
            "Cooked (cached)",
            _table(("cook key", "spice revisions", "defaults used"), cooks)
            if cooks
            else "<i>none yet</i>",
            opened=False,
            count=len(cooks),
        )
    )
    title = (
        f"<b>Scan</b> {escape(scan.key)} of proposal {escape(scan.proposal.key)} "
        f"<span class='nx5d-muted'>({escape(scan.repository.name or type(scan).__name__)})</span>"
    )
    return _wrap(title, "".join(parts))


def _json(value: Any) -> str:
    plain = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    return json.dumps(plain, sort_keys=True, default=str)


def spice_view_html(view: SpiceView, *, wrap: bool = True, also: Iterable[str] = ()) -> str:
    """The parameters that apply to a scan: per handle its type, record and the values a cook
    uses, each with its source (recipe default, adapter default, the record), where the view
    knows its scan; else the fields the record sets. ``also``: recipes to show though no record
    provides them (a scan's default recipe, cooked with defaults)."""
    handles = [*view, *(h for h in also if h not in view)]
    rows = []
    for handle in handles:
        record = view.records.get(handle)
        if handle not in view:
            source = "not seeded: defaults"
        elif record is None:
            source = "override"
        else:
            source = f"r{record.revision} from {record.anchor or '(start)'}"
        kind = "" if record is None else record.type
        rows.append(f"<tr>{_cell(handle)}{_cell(kind)}{_cell(source)}<td>{_values(view, handle)}</td></tr>")  # fmt: skip
    for handle, value in view.defaults_used.items():
        if handle not in handles:
            rows.append(f"<tr>{_cell(handle)}{_cell('')}{_cell('built-in defaults')}{_cell(_json(value))}</tr>")  # fmt: skip
    body = _table(("handle", "type", "from", "values"), rows) if rows else "<i>no parameters</i>"
    return _wrap(f"<b>Spice</b> for scan {escape(view.scan)}", body) if wrap else body


def _values(view: SpiceView, handle: str) -> str:
    """The values a cook of the view's scan uses (with their sources), else the record's set fields."""
    problem = ""
    if view.explainer is not None:
        try:
            explained = view.explainer(handle)
        except KeyError:  # not a recipe: a free-form or adapter-specific record
            explained = None
        except Exception as exc:  # noqa: BLE001 - a repr shows the problem instead of raising
            explained, problem = None, _error(exc)
        if explained is not None:
            rows = [f"<tr>{_cell(p.path)}{_cell(_json(p.value))}{_cell(p.source)}</tr>" for p in explained]  # fmt: skip
            return _table(("field", "value", "from"), rows)
    if handle not in view:
        return problem or "<i>no record</i>"
    value = view[handle]
    plain = (
        value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value
    )
    return problem + escape(json.dumps(plain, sort_keys=True, default=str))


def proposal_spice_html(spice: ProposalSpice, heads: Iterable[SpiceRecord]) -> str:
    """A proposal's spice: every chain (handle, anchor) at its newest revision, in scan order."""
    order = {key: n for n, key in enumerate(spice.proposal.keys())}
    ranked = sorted(heads, key=lambda r: (r.handle, -1 if not r.anchor else order.get(r.anchor, len(order))))  # fmt: skip
    rows = [
        f"<tr>{_cell(r.handle)}{_cell(r.type)}{_cell(r.anchor or '(start)')}{_cell(r.revision)}"
        f"{_cell(r.author)}{_cell(r.timestamp.isoformat(timespec='seconds'))}"
        f"{_cell('deleted' if r.deleted else _json(_set(r.data)))}</tr>"
        for r in ranked
    ]
    header = ("handle", "type", "from scan", "revision", "author", "time", "fields set")
    body = _table(header, rows, sortable=True) if rows else "<i>no records yet</i>"
    return _wrap(
        f"<b>Spice</b> of proposal {escape(spice.proposal.key)} "
        f"<span class='nx5d-muted'>({escape(spice.store.display)}; {len(rows)} chains)</span>",
        body,
    )


def _set(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a record sets (``None``: falls through to the layer below), at every depth."""
    return {k: _set(v) if isinstance(v, Mapping) else v for k, v in data.items() if v is not None}


def history_html(records: Iterable[SpiceRecord]) -> str:
    """Revisions of a spice handle, oldest first."""
    rows = [
        f"<tr>{_cell(r.anchor or '(start)')}{_cell(r.revision)}"
        f"{_cell(r.timestamp.isoformat(timespec='seconds'))}{_cell(r.author)}"
        f"{_cell('deleted' if r.deleted else '')}{_cell(_json(_set(r.data)))}</tr>"
        for r in records
    ]
    header = ("anchor", "revision", "time", "author", "", "values")
    return _wrap(
        f"<b>Spice history</b>: {len(rows)} revisions", _table(header, rows, sortable=True)
    )
