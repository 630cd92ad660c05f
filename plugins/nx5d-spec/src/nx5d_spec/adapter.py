"""SPEC repositories: a SPEC file is a proposal, its ``#S`` scans are scans.

``open_repository("file:///data/{proposal}.dat#{scan}", adapter="spec")`` lists every matching
file (any extension; ``.gz``/``.bz2`` open transparently); ``open_repository("file.spec")``
opens one file as the only proposal. SPEC files are recognised by their content.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from nx5d_core import (
    FileRepository,
    KeyPattern,
    Proposal,
    Repository,
    Scan,
    ScanSummary,
    ShapesData,
    TimeZoneName,
)
from nx5d_core.errors import URLPatternError
from nx5d_core.fingerprint import Fingerprint, fingerprint_files
from nx5d_core.keys import natural_key
from nx5d_core.paths import file_identity

from . import about
from .block import naive_date, parse_date, read_block, read_header, writer_zone
from .errors import SpecFormatError
from .frames import (
    IMAGE_FILE,
    ScanFrames,
    check_frames_pattern,
    frames_variable,
    image_file_line,
    scan_frames,
)
from .index import SpecIndex, read_index
from .scan_data import command_motors, points_of, split_labels

if TYPE_CHECKING:
    import xarray as xr
    from nx5d_images.header_cache import HeaderCache

__all__ = ["SpecProposal", "SpecRepository", "SpecScan", "SpecSummary"]
logger = logging.getLogger(__name__)
_COMPRESSED = re.compile(r"\.(gz|bz2)\Z", re.IGNORECASE)


class SpecSummary(ScanSummary):
    """Summary from the scan's header lines: command, motors and ranges, comments."""

    file: str = ""
    line: int = 0
    number: str = ""
    motors: list[str] = Field(default_factory=list)
    ranges: list[list[float | None]] = Field(default_factory=list)
    comments: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def _offset(zone: Any) -> str:
    delta = zone.utcoffset(None)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _split_name(name: str) -> tuple[str, str]:
    """``"31oct98.dat.gz"`` -> (``"31oct98"``, ``".dat.gz"``); a name without suffix stays whole."""
    compressed = _COMPRESSED.search(name)
    base = name[: compressed.start()] if compressed else name
    tail = compressed.group(0) if compressed else ""
    stem, dot, suffix = base.rpartition(".")
    if dot and stem:
        return stem, f".{suffix}{tail}"
    return base, tail


class SpecScan(Scan):
    """One ``#S`` scan."""

    proposal: SpecProposal
    summary_model = SpecSummary

    def _parts(self) -> tuple[SpecIndex, Any, Any]:
        index = self.proposal.index
        entry = index.scan(self.key)
        header_block = index.headers[entry.header] if entry.header is not None else None
        return index, read_block(index, entry), read_header(index, header_block)

    def _fingerprint(self) -> Fingerprint:
        pattern = self.proposal.repository.pattern
        if not pattern.is_local:
            from nx5d_core.fingerprint import fingerprint_remote

            return fingerprint_remote(pattern.fs, [str(self.proposal.file)])
        return fingerprint_files([self.proposal.file, *self._frame_paths()])

    def _frame_paths(self) -> list[Path]:
        found = self._scan_frames()
        if found is None:
            return []
        return [*dict.fromkeys(f.path for f in found.frames), *found.watched]

    def _scan_frames(self, points: int | None = None) -> ScanFrames | None:
        """The scan's frames, where the repository has a ``frames`` option that names them."""
        repository = self.proposal.repository
        if repository.frames is None:
            return None
        if not repository.pattern.is_local:
            msg = f"{self._where()}: frames= is for SPEC files on this machine"
            raise URLPatternError(msg)
        index, block, header = self._parts()
        if points is None:
            points = len(points_of(block, path=index.path)[1]) if block.data else 0
        return scan_frames(
            repository.frames, folder=Path(self.proposal.file).parent, proposal=self.proposal.key,
            scan=self.key, number=index.scan(self.key).number, points=points,
            comments=block.comments, written_at=(header.lines.get("F") or [None])[0],
            headers=functools.partial(self.proposal.frame_headers.read, guard=self.repository.guard),
        )  # fmt: skip

    def _with_frames(self, ds: xr.Dataset, *, lazy: bool) -> xr.Dataset:
        found = self._scan_frames(ds.sizes.get("point", 0))
        if found is None or not found.frames:
            return ds
        known = self._seen.identities() if self._seen is not None else {}
        images = frames_variable(found, guard=self.repository.guard, lazy=lazy, identities=known, name=f"nx5d-spec-{self.proposal.file}-{self.key}")  # fmt: skip
        return ds.assign(images=(("point", "y", "x"), images, {"units": "counts", "source": found.source}))  # fmt: skip

    def _get_summary(self) -> SpecSummary:
        index, block, header = self._parts()
        notes = list(block.notes)
        zone: tzinfo | None = self.proposal.repository.timezone
        if zone is None:
            zone = writer_zone(header, notes=notes)
            if zone is not None and block.first("D") and naive_date(block.first("D") or "") is not None:  # fmt: skip
                notes.append(f"#D read at UTC{_offset(zone)}, the offset of the file header's #E and #D")  # fmt: skip
        when = parse_date(block.first("D"), zone=zone, notes=notes)
        command = command_motors(block.command)
        points = 0
        if block.data:
            _, keep, _, width_notes = points_of(block, path=index.path)
            points, notes = len(keep), notes + width_notes
        else:
            notes.append(
                "no data lines (aborted before the first point, or data written elsewhere)"
            )
        declared, labels = block.first("N"), block.first("L")
        if declared and labels is not None and declared.split()[0].isdigit():
            named = len(split_labels(labels, None))
            if int(declared.split()[0]) != named:
                notes.append(f"#N says {declared.split()[0]} columns, #L names {named}")
        notes += self._frame_notes(block, points)
        return SpecSummary(
            key=self.key,
            type=command["type"] or "spec",
            num_frames=points,
            time=when,
            description=f"#S {block.command}",
            file=str(index.path),
            line=block.line,
            number=index.scan(self.key).number,
            motors=command["motors"],
            ranges=command["ranges"],
            comments=block.comments,
            notes=notes,
        )

    def _frame_notes(self, block: Any, points: int) -> list[str]:
        found = self._scan_frames(points)
        if found is None:
            line = image_file_line(block.comments)
            if line is not None and self.repository.frames is None:
                return [f"#C imageFile names its image files: open with frames={IMAGE_FILE!r} to join them"]  # fmt: skip
            return []
        missing = found.missing()
        return [f"{missing} of {len(found.frames)} frames are not there ({found.source})"] if missing else []  # fmt: skip

    def _get_raw(self) -> xr.Dataset:
        from .dataset import build_dataset

        index, block, header = self._parts()
        return self._with_frames(build_dataset(block, header, path=index.path, key=self.key), lazy=False)  # fmt: skip

    def _get_lazy(self) -> xr.Dataset:
        from .dataset import lazy_dataset

        index, block, header = self._parts()
        lazy = lazy_dataset(block, header, path=index.path, key=self.key, load=self._load_columns)
        return self._with_frames(lazy, lazy=True)

    def _load_columns(self) -> xr.Dataset:
        from .dataset import build_dataset

        index, block, header = self._parts()
        return build_dataset(block, header, path=index.path, key=self.key)

    def _get_metadata(self) -> dict[str, Any]:
        from .dataset import scan_metadata

        _, block, header = self._parts()
        return scan_metadata(block, header)


class SpecProposal(Proposal):
    """One SPEC file; scans in file order."""

    repository: SpecRepository
    scan_class = SpecScan

    def __init__(self, *, repository: Repository, key: str) -> None:
        super().__init__(repository=repository, key=key)
        self._index: SpecIndex | None = None
        self._file_order: dict[str, int] = {}
        self._frame_headers: HeaderCache | None = None

    @property
    def frame_headers(self) -> HeaderCache:
        """Headers of the image files frames are matched by (``frames="dir/*.edf"``)."""
        if self._frame_headers is None:
            from nx5d_images.header_cache import HeaderCache

            self._frame_headers = HeaderCache()
        return self._frame_headers

    @property
    def file(self) -> Path:
        """The SPEC file."""
        return Path(self.repository.pattern.format(proposal=self.key).path)

    @property
    def index(self) -> SpecIndex:
        """The file's line index; read again when the file changed."""
        pattern = self.repository.pattern
        if not pattern.is_local:  # an object store or web server: fetched whole through fsspec
            from nx5d_core.fingerprint import fingerprint_remote

            where = str(self.file)
            identity = dict(fingerprint_remote(pattern.fs, [where]).files)[where]
            if self._index is not None and identity == self._index.identity:
                return self._index
            try:
                raw = pattern.fs.cat_file(where)
            except FileNotFoundError:
                msg = f"SPEC file not found: {pattern.fs.unstrip_protocol(where)}"
                raise FileNotFoundError(msg) from None
            self._index = read_index(self.file, content=(raw, identity))
            return self._index
        path = self.repository.guard.file(self.file, what="a SPEC file")
        if self._index is not None and file_identity(path.stat()) == self._index.identity:
            return self._index
        self._index = read_index(path)
        return self._index

    def _list_scans(self) -> Iterable[str]:
        keys = self.index.keys()
        self._file_order = {k: i for i, k in enumerate(keys)}
        return keys

    def scan_order(self, key: str) -> Any:
        """File order (``#S`` numbers may repeat or restart)."""
        order = self._file_order
        if not order and self._keys:  # the listing came from the index, already in file order
            order = self._file_order = {k: i for i, k in enumerate(self._keys)}
        return (order.get(key, len(order)), natural_key(key))

    _caches = {"_index": lambda: None, "_frame_headers": lambda: None}  # noqa: RUF012 - merged with the base's declaration


class SpecRepository(FileRepository, about=about):
    """SPEC files through a pattern ``.../{proposal}<suffix>#{scan}``, or one file.

    Parameters
    ----------
    url
        A pattern (``file:///data/{proposal}.dat#{scan}``) or the path of one SPEC file.
    timezone
        Time zone of ``#D`` dates (SPEC writes local time without a zone), e.g.
        ``"America/Chicago"`` (daylight saving time included). Default: the UTC offset the
        file's header gives (its ``#E`` epoch against its ``#D`` date); without one a scan has
        no time (and a note), never a time guessed to be UTC.
    frames
        Where the scans' detector frames are, relative to the SPEC file's folder: a file per
        point (``"{proposal}/images/{scan}/img_{point:05d}.edf"``), a file per scan
        (``"{proposal}_{number:04d}.h5"``, areaDetector HDF5), files matched by their
        ``scan_no``/``point_no`` headers (``"{proposal}_images/*.edf"``), or ``"imageFile"``
        for each scan's ``#C imageFile`` line (see :mod:`nx5d_spec.frames`). They become
        ``images`` (point, y, x).
    """

    proposal_class = SpecProposal

    def __init__(
        self,
        url: str,
        *,
        timezone: TimeZoneName | None = None,
        frames: Annotated[str | None, ShapesData] = None,
    ) -> None:
        super().__init__(url)
        self.frames = None if frames is None else check_frames_pattern(frames)
        if "{" not in url:
            path = Path(url.removeprefix("file://"))
            if not path.is_file():
                msg = f"{url!r} is not a SPEC file; give one, or a pattern such as 'file:///data/{{proposal}}.dat#{{scan}}'"
                raise URLPatternError(msg)
            stem, suffix = _split_name(path.name)
            self.only_proposal = stem
            url = f"{path.parent}/{{proposal}}{suffix}#{{scan}}"
        self.pattern = KeyPattern.parse(url)
        if self.pattern.fragment is None or "{scan}" not in self.pattern.fragment:
            msg = f"SPEC pattern {url!r} must put {{scan}} in the fragment: '.../{{proposal}}.dat#{{scan}}'"
            raise URLPatternError(msg)
        self.timezone = ZoneInfo(timezone) if timezone else None

    @classmethod
    def guess_can_open(cls, url: str) -> bool:
        """See :func:`nx5d_spec.about.guess_can_open`."""
        return about.guess_can_open(url)

    def _list_proposals(self) -> Iterable[str]:
        if self.only_proposal is not None:
            self.guard.file(
                self.pattern.format(proposal=self.only_proposal).path, what="a SPEC file"
            )
            return [self.only_proposal]
        listed = list(self.pattern.list_proposals(guard=self.guard))
        if not self.pattern.is_local:
            return listed
        return self._spec_files_only(listed)

    def _spec_files_only(self, keys: list[str]) -> list[str]:
        """The keys whose files are SPEC (``#F``/``#E``/``#S`` in their first 4 KB). Files the
        pattern matches that are not SPEC are left out and named in a warning; when none is
        SPEC, an error says so (never a listing of files that are not SPEC)."""
        from .index import looks_like_spec

        spec: list[str] = []
        other: list[str] = []
        for key in keys:
            path = Path(self.pattern.format(proposal=key).path)
            try:
                with path.open("rb") as handle:
                    (spec if looks_like_spec(handle.read(4096)) else other).append(key)
            except OSError:
                spec.append(key)  # reading it later reports the problem with the file's name
        if other and not spec:
            shown = ", ".join(repr(k) for k in other[:5]) + (" ..." if len(other) > 5 else "")
            msg = f"no file that {self.pattern.path} matches is a SPEC file (no #F/#E/#S lines): {shown}"  # fmt: skip
            raise SpecFormatError(msg)
        if other:
            logger.warning(
                "%s: %d matching file(s) are not SPEC and are left out: %s",
                self.pattern.path,
                len(other),
                ", ".join(other[:5]),
            )
        return spec
