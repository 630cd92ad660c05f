"""HTML representations for Jupyter: plain tables, escaped, fast for thousands of rows."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .proposal import Proposal
    from .repository import Repository
    from .scan import Scan

__all__ = ["proposal_html", "repository_html", "scan_html"]

_STYLE = "max-height:30em;overflow:auto"
_COLUMNS = ("key", "handle", "type", "num_frames", "time", "description")


def _table(header: tuple[str, ...], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f'<div style="{_STYLE}"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def repository_html(repo: Repository) -> str:
    """Proposals of a repository, one row each."""
    handles = {k: h for h, k in repo.handles().items()}
    rows = [f"<tr><td>{escape(k)}</td><td>{escape(handles[k])}</td></tr>" for k in repo]
    title = f"<b>{escape(type(repo).__name__)}</b> {escape(repo.url)}: {len(rows)} proposals"
    return title + _table(("key", "handle"), rows)


def proposal_html(proposal: Proposal) -> str:
    """Scans of a proposal with their summaries; failed summaries show their error."""
    rows = []
    for entry in proposal.summaries():
        if entry.summary is None:
            cells = [escape(entry.key), escape(entry.handle)]
            error = f"{type(entry.error).__name__}: {entry.error}"
            rows.append(
                f'<tr><td>{cells[0]}</td><td>{cells[1]}</td><td colspan="4" style="color:#b00">failed: {escape(error)}</td></tr>'
            )
            continue
        s = entry.summary
        time = "" if s.time is None else s.time.isoformat(timespec="seconds")
        values = (entry.key, entry.handle, s.type, str(s.num_frames), time, s.description)
        rows.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in values) + "</tr>")
    title = f"<b>Proposal</b> {escape(proposal.key)}: {len(rows)} scans"
    return title + _table(_COLUMNS, rows)


def scan_html(scan: Scan) -> str:
    """A scan's summary fields (no bulk data is read)."""
    fields = scan.summary.model_dump()
    rows = [f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in fields.items()]
    return f"<b>Scan</b> {escape(scan.key)} of proposal {escape(scan.proposal.key)}<table>{''.join(rows)}</table>"
