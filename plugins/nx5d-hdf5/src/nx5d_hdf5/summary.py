"""Summaries and metadata of NeXus/HDF5 scans, from metadata only (no bulk data read).

The summary reports what ``raw`` will hold: the same main data group and layout
(:func:`nx5d_hdf5.nexus.data_groups`), the same link report, the scan length as ``num_frames``.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import h5py

from nx5d_core.paths import RootGuard

from .groups import data_groups
from .tree import Links, fields, is_small, members, nx_class, put_small, text
from .written import unwritten_rows

__all__ = ["parse_time", "read_metadata", "summary_fields"]

# where writers put the start of a scan, in the order they are tried
TIME_FIELDS = ("start_time", "start_date", "date", "collection_time_start", "time")
TIME_ATTRS = ("start_time", "file_time")
TEXT_FIELDS = ("title", "program_name", "scan_command", "experiment_identifier")


def read_metadata(group: h5py.Group, *, guard: RootGuard) -> dict[str, Any]:
    """Every small field (at most 16 values) outside the data groups: path -> value, ``path@units``.

    The file's root attributes (``file_time``, ``creator``, ``NeXus_version``...) are under
    ``@<name>``.
    """
    out: dict[str, Any] = {f"@{k}": text(v) for k, v in group.file.attrs.items()}
    for path, dataset in fields(group, links=Links(guard)):
        if is_small(dataset):
            put_small(out, path, dataset)
    return out


def parse_time(value: Any, *, zone: tzinfo, notes: list[str], what: str) -> datetime | None:
    """An ISO 8601 time (``T`` or a space, ``+HH:MM``/``+HHMM``/``Z``); naive times get ``zone`` and a note."""
    raw = text(value)
    if isinstance(raw, list) and raw:
        raw = raw[0]
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        when = datetime.fromisoformat(raw.strip())
    except ValueError:
        notes.append(f"{what} {raw!r} is not ISO 8601")
        return None
    if when.tzinfo is None:
        notes.append(f"{what} has no time zone; read as {zone}")
        when = when.replace(tzinfo=zone)
    return when


def _start(
    group: h5py.Group, found: dict[str, h5py.HLObject], *, zone: tzinfo, notes: list[str]
) -> datetime | None:
    for name in TIME_FIELDS:
        if isinstance(found.get(name), h5py.Dataset):
            when = parse_time(found[name][()], zone=zone, notes=notes, what=name)
            if when is not None:
                if name != "start_time":
                    notes.append(f"time from {group.name}/{name}")
                return when
    for where, attrs in ((group.name, group.attrs), ("/", group.file.attrs)):
        for name in TIME_ATTRS:
            if name in attrs:
                when = parse_time(attrs[name], zone=zone, notes=notes, what=f"{where}@{name}")
                if when is not None:
                    notes.append(f"time from the attribute {where}@{name}")
                    return when
    notes.append("no start_time")
    return None


def _largest_dataset_frames(group: h5py.Group, guard: RootGuard) -> tuple[int, str]:
    """Frames of a plain HDF5 group (no NeXus data group): the first dimension of its largest
    dataset (a 2-D one is one image). Shapes only; no data is read."""
    largest: tuple[int, str, tuple[int, ...]] | None = None
    links = Links(guard)

    def visit(g: h5py.Group, base: str) -> None:
        nonlocal largest
        with links.entered(g) as inside:
            if not inside:
                return
            for name, obj in members(g, links).items():
                if isinstance(obj, h5py.Group):
                    visit(obj, f"{base}{name}/")
                elif obj.size and (largest is None or obj.size > largest[0]):
                    largest = (int(obj.size), f"{base}{name}", tuple(obj.shape))

    visit(group, "")
    if largest is None:
        return 0, "no data group with a signal or axes, and no dataset"
    _, path, shape = largest
    frames = 1 if len(shape) in (0, 2) else int(shape[0])
    return frames, f"no NeXus data group: frames from the largest dataset {path} {list(shape)}"


def summary_fields(group: h5py.Group, *, zone: tzinfo, guard: RootGuard) -> dict[str, Any]:
    """Title, times, definition, frame count and link report, from metadata only."""
    notes: list[str] = []
    links = Links(guard)
    found = members(group, links)

    def small(name: str) -> Any:
        obj = found.get(name)
        return text(obj[()]) if isinstance(obj, h5py.Dataset) and obj.size <= 16 else None

    start = _start(group, found, zone=zone, notes=notes)
    end = (
        parse_time(found["end_time"][()], zone=zone, notes=notes, what="end_time")
        if isinstance(found.get("end_time"), h5py.Dataset)
        else None
    )
    main, others = data_groups(group, links) if nx_class(group) else (None, [])
    for data_group, _ in [*([main] if main else []), *others]:
        members(data_group, links)  # the same link report as raw
    for _ in fields(group, links=links):
        pass
    frames, signal_shape, never = 0, None, 0
    default = text(group.attrs.get("default", ""))
    if main is not None and isinstance(default, str) and default:
        chosen = main[0].name.rsplit("/", 1)[-1]
        if chosen != default:
            notes.append(f"default data group {default!r} has no readable signal; using {chosen!r}")
    if main is not None:
        layout = main[1]
        frames = layout.scan_length()
        notes.extend(layout.notes)
        if (
            layout.signal is not None
            and layout.signal in main[0]
            and not links.refused(main[0], layout.signal)
        ):
            signal_shape = list(layout.shape)
            signal = main[0][layout.signal]
            unwritten = unwritten_rows(signal) if isinstance(signal, h5py.Dataset) else None
            if unwritten is not None:
                notes.append(unwritten.describe())
                never = sum(b - a for a, b in unwritten.gaps)
                if unwritten.trailing_only and frames == unwritten.total:
                    frames = unwritten.written  # what raw gives: the frames written
        else:
            notes.append(
                f"no readable signal in {main[0].name}; scan length from its axes ({layout.convention})"
            )
        if layout.convention != "niac2014":
            notes.append(f"data group {main[0].name} read by the {layout.convention} convention")
    elif nx_class(group):  # NeXus without a data group: nothing was measured
        notes.append(
            f"{group.name}: no NXdata group with a signal or axes: no measured data (0 frames)"
        )
    else:
        frames, note = _largest_dataset_frames(group, guard)
        notes.append(note)
    definition = small("definition")
    texts = {name: small(name) for name in TEXT_FIELDS}
    return {
        "type": str(definition or nx_class(group) or "hdf5"),
        "num_frames": frames,
        "time": start,
        "end_time": end,
        "description": str(texts["title"] or ""),
        "definition": None if definition is None else str(definition),
        "program_name": texts["program_name"],
        "scan_command": texts["scan_command"],
        "signal_shape": signal_shape,
        "dangling_links": sorted(set(links.problems)),
        "unwritten_frames": never,
        "notes": notes,
    }
