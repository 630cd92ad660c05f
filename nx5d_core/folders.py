"""A folder of files of one format as a repository, for adapters of formats that are not laid
out by a facility (XDI, FIO, detector images): the folder pointed at is a proposal, a folder of
such folders a repository, one file a proposal of that file's scan. An adapter says only what a
member file is, by content (:meth:`FolderRepository.is_member`); guessing, pointing, listing and
the root (the folder pointed at, never its parent) follow from it, the same for each.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from .errors import URLPatternError
from .folder_guess import SAMPLE, guess_folder, member_names
from .proposal import Proposal
from .repository import FileRepository
from .urls import KeyPattern

__all__ = ["FolderProposal", "FolderRepository", "guess_folder", "member_names"]


class FolderRepository(FileRepository):
    """The base of such adapters: the constructor lays ``url`` out (:meth:`_pattern_of`)."""

    what: ClassVar[str] = "data file"
    """What a member is, for messages (``"XDI file"``)."""
    scan_suffix: ClassVar[str] = ""
    """The suffix a scan key leaves out of its file name (``".fio"``), if any."""
    only_scan: str | None = None
    _pointed: str | None = None

    @staticmethod
    def is_member(path: Path) -> bool:
        """Whether the regular file ``path`` is one of this format's (by content)."""
        raise NotImplementedError

    def scan_of(self, path: Path) -> str:
        """The scan key of the member file ``path``."""
        return path.name.removesuffix(self.scan_suffix) if self.scan_suffix else path.name

    def _pattern_of(self, url: str) -> KeyPattern:
        """The pattern of ``url``: a ``{proposal}/{scan}`` pattern as given, else from what the
        path is (a member file, a folder of them, a folder of such folders)."""
        if "{" in url:
            return KeyPattern.parse(url)
        path = Path(url.removeprefix("file://"))
        tail = f"{{proposal}}/{{scan}}{self.scan_suffix}"
        if path.is_file() and self.is_member(path):
            self.only_proposal, self.only_scan = path.parent.name, self.scan_of(path)
            self._pointed = str(path.parent)
            return KeyPattern.parse(f"{path.parent.parent}/{tail}")
        if path.is_dir() and member_names(path, self.is_member, limit=SAMPLE):
            self.only_proposal, self._pointed = path.name, str(path)
            return KeyPattern.parse(f"{path.parent}/{tail}")
        if path.is_dir():
            return KeyPattern.parse(f"{path}/{tail}")
        article = "an" if self.what[:1] in "aeiouAEIOU" else "a"
        msg = f"{path} is not {article} {self.what} nor a folder of them (or of folders of them)"
        raise URLPatternError(msg)

    def _boundary(self) -> str:
        return self._pointed or super()._boundary()

    def _list_proposals(self) -> Iterable[str]:
        if self.only_proposal is not None:
            return [self.only_proposal]
        root = Path(self.pattern.boundary)
        keys = self.pattern.list_proposals(guard=self.guard)
        return [k for k in keys if member_names(root / k, self.is_member, limit=SAMPLE)]


class FolderProposal(Proposal):
    """A folder of member files; each is a scan."""

    repository: FolderRepository

    def _list_scans(self) -> Iterable[str]:
        if self.repository.only_scan is not None:
            return [self.repository.only_scan]
        pattern = self.repository.pattern
        keys = pattern.list_scans(self.key, guard=self.repository.guard)
        return [k for k in keys if self.repository.is_member(Path(pattern.format(proposal=self.key, scan=k).path))]  # fmt: skip
