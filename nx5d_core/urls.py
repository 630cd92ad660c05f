"""Repository URL patterns: ``scheme://path/{proposal}/.../{scan}...#fragment/{scan}``.

The path part is resolved with fsspec (file, memory, http(s), s3...); keys in the path are
listed by glob and read back by regex, so multi-digit keys, dates and dashes work. Keys in the
fragment (entries inside a container file) are matched with :meth:`KeyPattern.match_fragment`
by the adapter that can list the container. Keys are validated so that no key can leave the
repository root.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidKeyError, URLPatternError
from .keys import natural_key, valid_keys, validate_key

if TYPE_CHECKING:
    from .paths import RootGuard

__all__ = ["FIELDS", "KeyPattern", "Location"]

FIELDS = ("proposal", "scan")
_TOKENS = {name: f"NX5DFIELD{name.upper()}TOKEN" for name in FIELDS}
logger = logging.getLogger(__name__)


def _fields(template: str, *, url: str) -> list[str]:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        msg = f"URL pattern {url!r} has unbalanced braces: {exc}"
        raise URLPatternError(msg) from exc
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FIELDS or spec or conversion:
            msg = f"URL pattern {url!r} has field {{{name}}}; only {{proposal}} and {{scan}} are allowed"
            raise URLPatternError(msg)
        names.append(name)
    return names


@functools.lru_cache(maxsize=256)
def _field_segments(template: str, parts: int) -> tuple[int, ...] | None:
    """The ``/``-separated parts of ``template`` that hold a field, or ``None`` when the filled
    path has another number of parts (a proposal's location: the scan part left out)."""
    segments = template.split("/")
    if len(segments) != parts:
        return None
    return tuple(n for n, segment in enumerate(segments) if "{" in segment)


def _regex(template: str, *, fixed: dict[str, str]) -> re.Pattern[str]:
    return _compiled(template, tuple(sorted(fixed.items())))


@functools.lru_cache(maxsize=256)
def _compiled(template: str, fixed_items: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    fixed = dict(fixed_items)
    out, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if name is None:
            continue
        if name in fixed:
            out.append(re.escape(fixed[name]))
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>[^/]+?)")
    return re.compile("".join(out) + r"\Z")


def _glob(template: str, *, fixed: dict[str, str]) -> str:
    escaped = re.sub(r"([*?\[])", r"[\1]", template.replace("{", "\x00").replace("}", "\x01"))
    escaped = escaped.replace("\x00", "{").replace("\x01", "}")
    return escaped.format(
        **{n: re.sub(r"([*?\[])", r"[\1]", fixed[n]) if n in fixed else "*" for n in FIELDS}
    )


@dataclass(frozen=True)
class Location:
    """Where one scan (or proposal) lives: a filesystem path and an optional fragment."""

    protocol: str
    path: str
    fragment: str | None

    @property
    def url(self) -> str:
        """The location as one URL string."""
        base = (
            self.path
            if self.protocol in {"file", "local"}
            else f"{self.protocol}://{self.path.lstrip('/')}"
        )
        return base if self.fragment is None else f"{base}#{self.fragment}"


@dataclass(frozen=True)
class KeyPattern:
    """A parsed repository URL pattern.

    Use :meth:`parse`; :meth:`format` gives a :class:`Location`, :meth:`list_proposals` and
    :meth:`list_scans` list keys that appear in the path.
    """

    url: str
    protocol: str
    path: str
    fragment: str | None
    storage_options: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, url: str, *, storage_options: dict[str, Any] | None = None) -> KeyPattern:
        """Parse ``url``; raise :class:`URLPatternError` if it is unusable."""
        if not isinstance(url, str) or not url:
            msg = f"URL pattern must be a non-empty string, got {url!r}"
            raise URLPatternError(msg)
        base, sep, fragment = url.partition("#")
        names = _fields(base, url=url) + (_fields(fragment, url=url) if sep else [])
        missing = [n for n in FIELDS if n not in names]
        if missing:
            msg = (
                f"URL pattern {url!r} has no {' and no '.join('{' + m + '}' for m in missing)} field; "
                "write where keys go, e.g. 'file:///data/{proposal}/{scan}.h5' or 'file:///data/{proposal}.h5#{scan}'"
            )
            raise URLPatternError(msg)
        if "{proposal}" in fragment and "{scan}" in base:
            msg = f"URL pattern {url!r} puts {{scan}} in the path but {{proposal}} in the fragment"
            raise URLPatternError(msg)
        tokenised = base
        for name, token in _TOKENS.items():
            tokenised = tokenised.replace("{" + name + "}", token)
        local = tokenised.removeprefix("file://")
        if not storage_options and "://" not in local and "::" not in local:
            # a local path: what fsspec's LocalFileSystem would make of it, without building one
            path, protocol = os.path.abspath(os.path.expanduser(local)), "file"  # noqa: PTH100, PTH111
        else:
            import fsspec.core

            fs, path = fsspec.core.url_to_fs(tokenised, **(storage_options or {}))
            protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        for name, token in _TOKENS.items():
            path = path.replace(token, "{" + name + "}")
        return cls(
            url=url,
            protocol=protocol,
            path=path,
            fragment=fragment if sep else None,
            storage_options=dict(storage_options or {}),
        )

    # -- properties --------------------------------------------------------------------
    @property
    def scan_in_path(self) -> bool:
        """Whether scans are files/folders (else they are entries inside a file)."""
        return "{scan}" in self.path

    @property
    def root(self) -> str:
        """The static part of the path: the folder (or file) before any key field."""
        head = self.path.split("{", 1)[0]
        return head if "{" not in self.path else head.rsplit("/", 1)[0] or "/"

    @property
    def boundary(self) -> str:
        """The folder that is the security boundary: the root, or the one file's folder."""
        if "{" in self.path:
            return self.root
        return self.path.rsplit("/", 1)[0] or "/"

    @property
    def is_local(self) -> bool:
        """Whether the path is on the local filesystem."""
        return self.protocol in {"file", "local"}

    @property
    def fs(self) -> Any:
        """The fsspec filesystem of the path."""
        import fsspec

        from .remote_fs import with_timeouts

        return fsspec.filesystem(
            self.protocol, **with_timeouts(self.protocol, self.storage_options)
        )

    # -- formatting and matching ---------------------------------------------------------
    def format(self, *, proposal: str, scan: str | None = None) -> Location:
        """The location of a proposal (``scan=None``: fields after it stay out) or of a scan."""
        keys = {"proposal": validate_key(proposal, kind="proposal")}
        if scan is not None:
            keys["scan"] = validate_key(scan, kind="scan")
        path = self._fill(self.path, keys)
        fragment = None if self.fragment is None else self._fill(self.fragment, keys)
        parts = path.split("/")
        fields = _field_segments(self.path, len(parts))  # the parts the keys went into
        if (
            any(parts[at] in {".", ".."} for at in fields)
            if fields is not None
            else any(part in {".", ".."} and part not in self.path.split("/") for part in parts)
        ):
            msg = f"keys {keys} would leave the repository root {self.root!r}"
            raise InvalidKeyError(msg)
        return Location(protocol=self.protocol, path=path, fragment=fragment)

    def scan_paths(self, *, proposal: str, scans: list[str]) -> list[str]:
        """``format(proposal=proposal, scan=s).path`` of each of ``scans``, for a listing: the
        proposal's part is formatted once and each valid key put in its place."""
        token = _TOKENS["scan"]
        template = self.format(proposal=proposal, scan=token).path
        if template.count(token) != self.path.count("{scan}"):  # the token is in a name
            return [self.format(proposal=proposal, scan=s).path for s in scans]
        return [template.replace(token, validate_key(s, kind="scan")) for s in scans]

    @staticmethod
    def _fill(template: str, keys: dict[str, str]) -> str:
        if "{scan}" in template and "scan" not in keys:
            head = template.split("{scan}", 1)[0]
            template = head.rsplit("/", 1)[0] if "/" in head else ""
        return template.format(**keys)

    def match_path(self, path: str, *, proposal: str | None = None) -> dict[str, str] | None:
        """Keys read from a filesystem path, or ``None`` if it does not fit the pattern."""
        fixed = {} if proposal is None else {"proposal": proposal}
        found = _regex(self.path, fixed=fixed).match(path)
        return None if found is None else dict(found.groupdict(), **fixed)

    def match_fragment(
        self, fragment: str, *, proposal: str | None = None
    ) -> dict[str, str] | None:
        """Keys read from a fragment (an entry path inside a container), or ``None``."""
        if self.fragment is None:
            return None
        fixed = {} if proposal is None else {"proposal": proposal}
        found = _regex(self.fragment.strip("/"), fixed=fixed).match(fragment.strip("/"))
        return None if found is None else dict(found.groupdict(), **fixed)

    # -- listing -----------------------------------------------------------------------
    def _listed(
        self, pattern: str, *, proposal: str | None, field_name: str, guard: RootGuard | None
    ) -> list[str]:
        root = self.root
        if self.is_local:
            hits = self._walked(proposal=proposal, field_name=field_name, guard=guard)
        else:
            from .remote_fs import as_unavailable, remote_errors

            fs = self.fs
            with remote_errors(fs.unstrip_protocol(root)):
                try:  # not fs.exists(): it reads a refused connection as "does not exist"
                    fs.info(root)
                except FileNotFoundError as exc:
                    if as_unavailable(exc, url=root) is not None:
                        raise
                    msg = f"repository root {root!r} does not exist (from URL pattern {self.url!r})"
                    raise FileNotFoundError(msg) from None
                hits = [
                    found
                    for hit in fs.glob(pattern)
                    if (found := self.match_path(hit, proposal=proposal))
                ]
        keys = set(valid_keys((f[field_name] for f in hits), kind=field_name, where=self.url))
        return sorted(keys, key=natural_key)

    def _walked(
        self, *, proposal: str | None, field_name: str, guard: RootGuard | None
    ) -> list[dict[str, str]]:
        from pathlib import Path

        from .paths import RootGuard
        from .walk import walk_pattern

        root = self.root
        if not Path(root).exists():
            msg = f"repository root {root!r} does not exist (from URL pattern {self.url!r})"
            raise FileNotFoundError(msg)
        if not Path(root).is_dir():
            msg = (
                f"repository root {root!r} is a file, not a folder (from URL pattern {self.url!r})"
            )
            raise NotADirectoryError(msg)
        guard = guard or RootGuard.create(self.boundary)
        fixed = {} if proposal is None else {"proposal": proposal}
        segments = [s for s in self.path[len(root) :].split("/") if s]
        out = []
        for hit in walk_pattern(
            root=root,
            segments=segments,
            fixed=fixed,
            wanted=field_name,
            guard=guard,
            first_only=field_name == "proposal",  # one file is enough to list a proposal
        ):
            if hit.complete:
                found = self.match_path(hit.path, proposal=proposal)
                if found is not None:
                    out.append(found)
            elif field_name in hit.fields:
                out.append(hit.fields)
        return out

    def list_proposals(self, *, guard: RootGuard | None = None) -> list[str]:
        """Proposal keys found in the path (those with at least one matching file or folder)."""
        if "{proposal}" not in self.path:
            msg = f"URL pattern {self.url!r} keeps proposals inside a file; the adapter lists them"
            raise URLPatternError(msg)
        return self._listed(
            _glob(self.path, fixed={}), proposal=None, field_name="proposal", guard=guard
        )

    def list_scans(self, proposal: str, *, guard: RootGuard | None = None) -> list[str]:
        """Scan keys of ``proposal`` found in the path."""
        validate_key(proposal, kind="proposal")
        if not self.scan_in_path:
            msg = f"URL pattern {self.url!r} keeps scans inside a file; the adapter lists them"
            raise URLPatternError(msg)
        return self._listed(
            _glob(self.path, fixed={"proposal": proposal}),
            proposal=proposal,
            field_name="scan",
            guard=guard,
        )
