"""Moving spice records in and out: our JSON lines, and nx5d's folder of JSON records."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import SpiceStoreError
from .records import START, SpiceRecord

__all__ = ["NX5D_VERSION", "read_jsonl", "read_nx5d", "write_jsonl", "write_nx5d"]

NX5D_VERSION = "kmc3/1a"
_NX5D_KEYS = ("version", "type", "handle", "uuid", "revision", "anchor", "data")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(records: Iterable[SpiceRecord], path: Path) -> Path:
    """All records, one JSON object a line."""
    _atomic_write(path, "".join(r.model_dump_json() + "\n" for r in records))
    return path


def read_jsonl(path: Path, *, proposal: str) -> list[SpiceRecord]:
    """Records from :func:`write_jsonl` output, moved to ``proposal``; errors name file and line."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = SpiceRecord.model_validate_json(line)
        except ValidationError as exc:
            msg = f"{path}:{number}: not a spice record: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
            raise SpiceStoreError(msg) from exc
        records.append(record.model_copy(update={"proposal": proposal}))
    return records


def write_nx5d(records: Iterable[SpiceRecord], folder: Path) -> list[Path]:
    """nx5d's format: ``<uuid>.json`` per record with keys version, type, handle, uuid, revision, anchor, data.

    The proposal start is written as anchor ``""``; a deleted revision carries ``"deleted": true``.
    Author and time are not part of nx5d's format.
    """
    paths = []
    for record in records:
        doc: dict[str, Any] = {
            "version": NX5D_VERSION,
            "type": record.type,
            "handle": record.handle,
            "uuid": record.uuid,
            "revision": record.revision,
            "anchor": record.anchor,
            "data": record.data,
        }
        if record.deleted:
            doc["deleted"] = True
        path = folder / f"{record.uuid}.json"
        _atomic_write(path, json.dumps(doc, indent=2, sort_keys=True, allow_nan=False))
        paths.append(path)
    return paths


def read_nx5d(folder: Path, *, proposal: str, author: str) -> list[SpiceRecord]:
    """Records from an nx5d JSON folder; a bad file raises naming the file and what is wrong."""
    if not folder.is_dir():
        msg = f"nx5d spice folder {folder} does not exist or is not a folder"
        raise SpiceStoreError(msg)
    docs: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            msg = f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            raise SpiceStoreError(msg) from exc
        missing = [k for k in _NX5D_KEYS if not isinstance(doc, dict) or k not in doc]
        if missing:
            msg = f"{path}: nx5d spice record lacks {', '.join(missing)}"
            raise SpiceStoreError(msg)
        if not str(doc["version"]).startswith("kmc3/"):
            msg = f"{path}: unsupported nx5d record version {doc['version']!r} (expected {NX5D_VERSION!r})"
            raise SpiceStoreError(msg)
        docs.append((path, doc))
    now = datetime.now(UTC)
    chains: dict[tuple[str, str], dict[int, str]] = {}
    for _, doc in docs:
        chains.setdefault((doc["handle"], doc["anchor"] or START), {})[int(doc["revision"])] = doc[
            "uuid"
        ]
    records = []
    for path, doc in docs:
        anchor = doc["anchor"] or START
        revision = int(doc["revision"])
        try:
            records.append(
                SpiceRecord(
                    proposal=proposal,
                    handle=doc["handle"],
                    type=doc["type"],
                    anchor=anchor,
                    revision=revision,
                    uuid=doc["uuid"],
                    parent=chains[(doc["handle"], anchor)].get(revision - 1),
                    author=author,
                    timestamp=now,
                    data=doc["data"],
                    deleted=bool(doc.get("deleted", False)),
                )
            )
        except ValidationError as exc:
            msg = f"{path}: invalid nx5d spice record: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
            raise SpiceStoreError(msg) from exc
    records.sort(key=lambda r: (r.handle, r.anchor, r.revision))
    return records
