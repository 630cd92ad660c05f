"""What a scan holds of its summary, and the one way the summary index hands it one.

:attr:`nx5d_core.Scan.summary_record` is a :class:`SummaryRecord`: the summary (or the JSON the
index stored for it, parsed on first use), the digest of the files it was made from and the
other files it read on the way (external link targets), and the fingerprint of its files at the
last check. The index adopts a stored summary with :meth:`SummaryRecord.adopt`; nothing else
writes a scan's summary state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from pydantic import ValidationError

from .errors import AdapterContractError
from .summary import ScanSummary

if TYPE_CHECKING:
    from .fingerprint import Fingerprint
    from .scan import Scan

__all__ = ["Adoption", "SummaryRecord", "read_summary", "restore"]


def restore(model: type[ScanSummary], text: str, *, key: str) -> ScanSummary | None:
    """The summary in ``text`` (JSON the index stored), or ``None`` when it no longer parses as
    ``model`` or names another scan than ``key``."""
    try:
        summary = model.model_validate_json(text)
    except ValidationError:
        return None
    return summary if summary.key == key else None


class Adoption(NamedTuple):
    """A stored summary the index handed to a proposal for a scan not made yet: the scan adopts
    it when it is made (if it is of ``model``), with the fingerprint checked at the listing (a
    named tuple: a warm listing makes one per scan)."""

    model: type[ScanSummary]
    summary: ScanSummary | None
    text: str | None
    digest: str
    sources: str
    seen: Fingerprint


@dataclass
class SummaryRecord:
    """A scan's summary state (see the module docstring)."""

    summary: ScanSummary | None = None
    text: str | None = None
    digest: str | None = None
    sources: str = ""
    seen: Fingerprint | None = None

    @property
    def held(self) -> bool:
        """Whether a summary (or its stored JSON) is held."""
        return self.summary is not None or self.text is not None

    def adopt(
        self,
        *,
        digest: str,
        sources: str,
        summary: ScanSummary | None = None,
        text: str | None = None,
        seen: Fingerprint | None = None,
    ) -> None:
        """Hold ``summary`` (or its JSON ``text``, parsed on first use), made from the files of
        ``digest`` and the other files in ``sources`` (a JSON list); ``seen``: the fingerprint
        that was found to match, so that a change before the summary is first used shows."""
        self.summary, self.text, self.digest, self.sources = summary, text, digest, sources
        if seen is not None:
            self.seen = seen

    def made_from(self, *, digest: str, sources: str) -> None:
        """Say which files the summary just read was made from."""
        self.digest, self.sources = digest, sources

    def forget(self) -> None:
        """Drop the summary (its files changed, or it is read again)."""
        self.summary = self.text = self.digest = None


def read_summary(scan: Scan, *, seen: Fingerprint | None = None) -> ScanSummary:
    """Read the summary of ``scan`` from its files now and hold it in its record.

    ``seen`` is the fingerprint of those files taken just before (the summary index has it);
    it is taken here when not given. A change after it shows at the next access. Errors from
    the adapter are raised as they are, with a note naming the scan.
    """
    record = scan.summary_record
    record.seen = scan._summary_fingerprint() if seen is None else seen
    try:
        summary = scan._get_summary()
    except Exception as exc:
        exc.add_note(f"while reading the summary of {scan._where()}")
        raise
    if not isinstance(summary, ScanSummary):
        msg = f"{type(scan).__name__}._get_summary() returned {type(summary).__name__}, not ScanSummary"
        raise AdapterContractError(msg)
    if summary.key != scan.key:
        msg = f"{type(scan).__name__}._get_summary() for {scan.key!r} returned key {summary.key!r}"
        raise AdapterContractError(msg)
    record.summary = summary
    return summary
