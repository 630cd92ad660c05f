"""A SPEC scan as an xarray.Dataset, and its metadata.

One variable per ``#L`` column along ``point``; the scanned motors (from the ``#S`` command,
through the ``#o`` mnemonics where ``#L`` uses names) are coordinates, else the first column;
MCA spectra are ``mca``/``mca1``... over ``mca_channel``; a complete ``mesh`` is reshaped to its
grid, an incomplete one stays flat with a note.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .block import Block, Header
from .errors import SpecNoDataError
from .scan_data import Columns, command_motors, mca_arrays, read_columns

__all__ = ["build_dataset", "lazy_dataset", "scan_metadata"]


def _floats(text: str) -> list[float] | str:
    try:
        return [float(v) for v in text.split()]
    except ValueError:
        return text


def _motor_names(block: Block, header: Header) -> list[str]:
    own: list[str] = []
    n = 0
    while f"O{n}" in block.header_lines:
        own.extend(
            p.strip() for p in re.split(r"\s{2,}", block.header_lines[f"O{n}"][-1]) if p.strip()
        )
        n += 1
    return own or header.motors


def scan_metadata(block: Block, header: Header) -> dict[str, Any]:
    """Header lines (``#G``, ``#Q``, ``#UB``, ``#U``, ``#MD``, ``#T``...), positioners from ``#P``
    paired with the ``#O`` names in force, comments, and the file header's lines."""
    out: dict[str, Any] = {"command": block.command, "comments": list(block.comments)}
    positions: list[float] = []
    n = 0
    while f"P{n}" in block.header_lines:
        values = _floats(block.header_lines[f"P{n}"][-1])
        positions.extend(values if isinstance(values, list) else [])
        n += 1
    names = _motor_names(block, header)
    for name, value in zip(names, positions, strict=False):
        out[f"positioners/{name}"] = value
    if positions and len(names) != len(positions):
        out["positioners_note"] = f"{len(positions)} #P values, {len(names)} #O motor names"
    for tag, lines in block.header_lines.items():
        if tag in {"L", "N", "S"} or (tag[:1] in {"P", "O"} and tag[1:].isdigit()):
            continue
        parsed: list[Any] = [_floats(v) for v in lines]
        out[tag] = parsed[0] if len(parsed) == 1 else parsed
    for tag, lines in header.lines.items():
        out[f"file/{tag}"] = lines[0] if len(lines) == 1 else lines
    return out


def _coordinates(block: Block, header: Header, columns: Columns) -> list[str]:
    motors = command_motors(block.command)["motors"]
    labels = columns.labels
    mnemonics = []
    n = 0
    while f"o{n}" in header.lines:
        mnemonics.extend(header.lines[f"o{n}"][-1].split())
        n += 1
    out = []
    for motor in motors:
        if motor in labels:
            out.append(motor)
        elif motor in mnemonics and mnemonics.index(motor) < len(header.motors):
            name = header.motors[mnemonics.index(motor)]
            if name in labels:
                out.append(name)
        else:
            lowered = {re.sub(r"\W", "", lab).lower(): lab for lab in labels}
            if motor.lower() in lowered:
                out.append(lowered[motor.lower()])
    if not out and labels:
        out = [labels[0]]
    return out


def _mca_coords(block: Block, name: str, channels: int) -> dict[str, Any]:
    dim = f"mca{name[1:]}_channel"
    coords: dict[str, Any] = {dim: (dim, np.arange(channels))}
    chann = block.first("@CHANN")
    if chann:
        parts = chann.split()
        try:
            first, last = int(parts[1]), int(parts[2])
            step = int(parts[3]) if len(parts) > 3 else 1
        except (IndexError, ValueError):
            first = last = step = -1
        if step > 0 and (last - first) // step + 1 == channels:
            coords[dim] = (dim, np.arange(first, last + 1, step))
    calib = block.first("@CALIB")
    if calib:
        try:
            a, b, c = ([float(v) for v in calib.split()] + [0.0, 0.0, 0.0])[:3]
        except ValueError:
            return coords
        ch = coords[dim][1].astype(np.float64)
        coords[f"mca{name[1:]}_energy"] = (dim, a + b * ch + c * ch**2)
    return coords


def build_dataset(block: Block, header: Header, *, path: Path, key: str) -> xr.Dataset:
    """The scan's Dataset (see the module docstring).

    Raises
    ------
    SpecNoDataError
        The scan has no data line: an empty Dataset would look like a scan that measured nothing.
    """
    if not block.data:
        said = "; ".join(block.comments[-2:]) or "no comment"
        msg = (
            f"{path}: line {block.line}: scan {key!r} ({block.command}) has no data lines: aborted "
            f"before its first point, or its data were written elsewhere (#C: {said})"
        )
        raise SpecNoDataError(msg)
    columns = read_columns(block, path=path)
    points = columns.values.shape[0]
    coord_names = _coordinates(block, header, columns)
    spectra, mca_notes = mca_arrays(block, points, path=path)
    notes = [*block.notes, *columns.notes, *mca_notes]
    shape: tuple[int, ...] = (points,)
    dims: tuple[str, ...] = ("point",)
    grid = command_motors(block.command)
    if "steps" in grid:
        fast, slow = (s + 1 for s in grid["steps"])
        if points == fast * slow:
            shape, dims = (slow, fast), (f"{grid['motors'][1]}_step", f"{grid['motors'][0]}_step")
        else:
            notes.append(f"mesh of {slow}x{fast} points stopped after {points}: kept flat")
    data_vars: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    for i, label in enumerate(columns.labels):
        values = columns.values[:, i].reshape(shape)
        attrs = {"spec_label": columns.renamed[label]} if label in columns.renamed else {}
        (coords if label in coord_names else data_vars)[label] = (dims, values, attrs)
    for name, array in spectra.items():
        mca = f"mca{name[1:]}"
        channel_coords = _mca_coords(block, name, array.shape[1])
        coords.update(channel_coords)
        data_vars[mca] = ((*dims, f"{mca}_channel"), array.reshape(*shape, array.shape[1]), {})
    scan_attrs: dict[str, Any] = {
        "spec_file": str(path),
        "spec_scan": key,
        "spec_command": block.command,
        "spec_line": block.line,
    }
    if notes:
        scan_attrs["nx5d_notes"] = notes
    return xr.Dataset(data_vars, coords=coords, attrs=scan_attrs)


def lazy_dataset(block: Block, header: Header, *, path: Path, key: str, load: Any) -> xr.Dataset:
    """The Dataset of :func:`build_dataset` with dask arrays that call ``load()`` when computed.

    The layout comes from a template: the scan's first data line (and first spectra) repeated,
    so nothing but one line is converted before ``compute()``.
    """
    import dask.array as da
    from dask.delayed import delayed

    if not block.data:
        build_dataset(block, header, path=path, key=key)  # raises SpecNoDataError
    widths = [len(t.split()) for _, t in block.data]
    width = max(set(widths), key=widths.count)
    first = next(t for (_, t), w in zip(block.data, widths, strict=True) if w == width).split()
    template = Block(  # the same line widths and spectra positions, one line's numbers
        command=block.command,
        line=block.line,
        header_lines=block.header_lines,
        comments=block.comments,
        data=[
            (n, b" ".join((first * (w // width + 1))[:w]))
            for (n, _), w in zip(block.data, widths, strict=True)
        ],
        spectra={
            name: [(i, spectra[0][1]) for i, _ in spectra]
            for name, spectra in block.spectra.items()
        },
        notes=list(block.notes),
    )
    layout = build_dataset(template, header, path=path, key=key)
    whole = delayed(load, pure=True)(dask_key_name=f"spec-{path}-{key}")

    def lazy(name: str, var: xr.Variable) -> xr.Variable:
        part = delayed(lambda ds, n: ds[n].values, pure=True)(whole, name)
        array = da.from_delayed(part, shape=var.shape, dtype=var.dtype)  # type: ignore[no-untyped-call]
        return xr.Variable(var.dims, array, var.attrs)

    data_vars = {n: lazy(str(n), v.variable) for n, v in layout.data_vars.items()}
    coords = {
        n: (v.variable if n in layout.indexes else lazy(str(n), v.variable))
        for n, v in layout.coords.items()
    }
    return xr.Dataset(data_vars, coords=coords, attrs=layout.attrs)
