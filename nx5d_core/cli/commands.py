"""What each ``nx5d`` command does; the parser is in :mod:`.parser`. Output goes to stdout."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Nx5dError

if TYPE_CHECKING:
    from ..proposal import Proposal
    from ..repository import Repository

__all__ = [
    "UsageError",
    "adapters",
    "cook",
    "demo",
    "index",
    "ls",
    "recipes",
    "search",
    "show",
]

SPICE_ENV = "NX5D_SPICE"


class UsageError(Nx5dError):
    """The command cannot run as given (exit code 2)."""


class NothingMatchedError(Nx5dError):
    """A listing found nothing where something was expected (exit code 1)."""


def _spice_spec(args: argparse.Namespace, configured: str | None) -> str | None:
    return getattr(args, "spice", None) or configured or os.environ.get(SPICE_ENV) or None


def open_target(args: argparse.Namespace, *, need_store: bool = False) -> Repository:
    """The repository ``args.target`` names (a config name or a URL), with its spice store.

    With ``need_store`` a store must be named (``--spice``, the config's ``spice:`` or
    ``$NX5D_SPICE``): writing to a throw-away in-memory store would lose the record.
    """
    from ..config import list_configs, load_config, open_config
    from ..opening import open_repository

    adapter = getattr(args, "adapter", None)
    if "://" not in args.target and os.sep in args.target:  # a local path: print it normalised
        args.target = os.path.normpath(os.path.abspath(args.target))  # noqa: PTH100 - keeps links
    configured = None
    if adapter is None and args.target in list_configs():
        configured = load_config(args.target).spice
    store = _spice_spec(args, configured)
    if need_store and store is None:
        msg = (
            "no spice store is named (an unnamed one is empty: reading it would show nothing, "
            f"writing to it would lose the record): give --spice PATH, a 'spice:' entry in the "
            f"named config, or set {SPICE_ENV}"
        )
        raise UsageError(msg)
    from ..options import parse_option

    options = dict(parse_option(text) for text in getattr(args, "option", None) or [])
    index = False if getattr(args, "no_index", False) else None
    if configured is not None or (adapter is None and args.target in list_configs()):
        return open_config(args.target, spice=store, options=options, index=index)
    return open_repository(args.target, adapter=adapter, spice=store, index=index, **options)


def adapters(args: argparse.Namespace) -> None:
    """``nx5d adapters``."""
    from ..plugins import list_adapters

    infos = list_adapters()
    if not infos:
        print("no adapters installed (packages with an 'nx5d' entry point provide them)")
    for info in infos:
        print(f"{info.name}\t{info.description}")
        print(f"\tpatterns: {', '.join(info.url_patterns) or '-'}")
        print(f"\tfrom: {info.distribution}")


def recipes(args: argparse.Namespace) -> None:
    """``nx5d recipes``: name, description, spice type and its fields, version, owner."""
    from ..recipes import load_recipes

    registry = load_recipes()
    names = list(registry)
    if not names:
        print("no recipes installed (plugins provide them through nx5d_register_recipes)")
    for name in names:
        recipe = registry[name]
        print(f"{name}	{recipe.description}")
        print(f"	spice type: {name} ({recipe.model.__module__}.{recipe.model.__qualname__})")
        print(f"	fields: {', '.join(recipe.model.model_fields)}")
        print(
            f"	version: {recipe.version}{'; lazy (streams dask input)' if recipe.lazy else ''}"
        )
        print(f"	merges scans: {'yes' if recipe.combine is not None else 'no'}")
        print(f"	from: {recipe.owner.distribution}")


def _variables(scan: Any, *, full: bool) -> None:
    lazy = scan.lazy()
    print("variables:")
    for name, var in [*lazy.coords.items(), *lazy.data_vars.items()]:
        units = var.attrs.get("units", "")
        if full:
            shape = "x".join(map(str, var.shape)) or "scalar"
            print(f"  {name!s}\t{var.dims}\t{shape}\t{var.dtype}\t{units}")
        else:
            print(f"  {name!s}\t{var.dims}\t{var.dtype}\t{units}")


def _scan_brief(proposal: Proposal, key: str) -> None:
    scan = proposal[key]
    for name, value in scan.summary.model_dump().items():
        print(f"{name}: {value}")
    _variables(scan, full=False)


def ls(args: argparse.Namespace) -> None:
    """``nx5d ls TARGET [PROPOSAL [SCAN]]``."""
    repo = open_target(args)
    if args.proposal is None and repo.only_proposal is None:
        keys = repo.keys()
        if not keys:
            where = repo.pattern.url if repo.pattern is not None else repo.url
            msg = f"no proposals found: searched {where} and nothing matched the pattern"
            raise NothingMatchedError(msg)
        for key in keys:
            print(key)
        return
    if args.proposal is None:  # one file or folder pointed at: show its scans
        args.proposal = repo.only_proposal
        print(f"proposal {args.proposal}:")
    proposal = repo[args.proposal]
    if args.scan is not None:
        _scan_brief(proposal, args.scan)
        return
    entries = proposal.summaries()
    if not entries and not args.follow:
        msg = f"no scans found in proposal {proposal.key!r} of {repo.url}: nothing matched"
        raise NothingMatchedError(msg)
    print("# key\ttype\tframes\ttime\tdescription")
    for entry in entries:
        _summary_line(entry.key, entry.summary, entry.error)
    if args.follow:
        for key in proposal.follow(timeout=args.timeout, seen=[e.key for e in entries]):
            try:
                _summary_line(key, proposal[key].summary, None)
            except Exception as exc:  # noqa: BLE001 - a broken new scan is listed as FAILED
                _summary_line(key, None, exc)


def _summary_line(key: str, summary: Any, error: BaseException | None) -> None:
    if summary is None:
        print(f"{key}\tFAILED: {type(error).__name__}: {error}", flush=True)
        return
    time = summary.time.isoformat(timespec="seconds") if summary.time else "-"
    print(f"{key}\t{summary.type}\t{summary.num_frames}\t{time}\t{summary.description}", flush=True)  # fmt: skip


def index(args: argparse.Namespace) -> None:
    """``nx5d index TARGET``: forget the stored summaries and read every scan again."""
    repo = open_target(args)
    count = repo.reindex()
    where = repo.index.path if repo.index is not None else "-"
    print(f"indexed {count} scans of {len(repo)} proposals in {where}")


def _search_query(args: argparse.Namespace) -> Any:
    from ..queries import FullText, Key, Regex, TimeRange
    from ..query_text import QuerySyntaxError, parse_query

    parts = []
    try:
        if args.query:
            parts.append(parse_query(args.query))
        if args.since or args.until:
            parts.append(TimeRange(since=args.since, until=args.until))
    except (QuerySyntaxError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if args.type:
        parts.append(Key("type") == args.type)
    if args.text:
        parts.append(FullText(args.text))
    if not parts:
        return Regex("key", "")  # every scan
    query = parts[0]
    for part in parts[1:]:
        query = query & part
    return query


def search(args: argparse.Namespace) -> None:
    """``nx5d search TARGET [QUERY] [--since --until --type --text] [--json]``."""
    repo = open_target(args)
    query = _search_query(args)
    if args.proposal:
        view = repo[args.proposal].search(query)
        scans = [view[key] for key in view.keys()]  # noqa: SIM118 - a Proposal, not a dict
    else:
        scans = list(repo.search(query))
    if args.json:
        for scan in scans:
            row = {"proposal": scan.proposal.key, **scan.summary.model_dump(mode="json")}
            print(json.dumps(row, sort_keys=True))
        return
    print("# proposal\tkey\ttype\tframes\ttime\tdescription")
    for scan in scans:
        s = scan.summary
        time = s.time.isoformat(timespec="seconds") if s.time else "-"
        print(f"{scan.proposal.key}\t{s.key}\t{s.type}\t{s.num_frames}\t{time}\t{s.description}")
    if not scans:
        msg = f"no scan of {repo.url} matches {query!r}"
        raise NothingMatchedError(msg)


SHOWN_METADATA = 20
"""Metadata entries ``nx5d show`` prints without ``--metadata`` (real files hold hundreds)."""


def short(value: Any, *, width: int = 100) -> str:
    """``value`` as text of at most ``width`` characters."""
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def show(args: argparse.Namespace) -> None:
    """``nx5d show TARGET PROPOSAL SCAN [--metadata]``: summary, every variable with its shape,
    the first metadata entries (all of them with ``--metadata``)."""
    scan = open_target(args)[args.proposal][args.scan]
    print("summary:")
    for name, value in scan.summary.model_dump().items():
        print(f"  {name}: {short(value)}")
    _variables(scan, full=True)
    metadata = scan.metadata
    every = getattr(args, "metadata", False)
    shown = list(metadata.items()) if every else list(metadata.items())[:SHOWN_METADATA]
    print(f"metadata ({len(metadata)} entries{'' if every or len(shown) == len(metadata) else f', the first {len(shown)}'}):")  # fmt: skip
    for name, value in shown:
        print(f"  {name}: {value if every else short(value)}")
    if len(shown) < len(metadata):
        print(f"  ... {len(metadata) - len(shown)} more: nx5d show ... --metadata")


class SomeFailedError(Nx5dError):
    """Some items of a batch failed (exit code 1); the others were done."""


def cook(args: argparse.Namespace) -> None:
    """``nx5d cook TARGET PROPOSAL [SCANS...] [--scheduler ADDR] --out DIR``: one NeXus file per
    cooked scan and ``summary.tsv``, the scans cooked in parallel and each file written by the
    worker that cooked it (on a cluster, ``--out`` is a folder the workers see)."""
    import importlib.util

    from ..many import cook_many_to_files, target_file

    if importlib.util.find_spec("nx5d_hdf5") is None:
        msg = "nx5d cook writes NeXus files with the nx5d-hdf5 plugin, which is not installed"
        raise UsageError(msg)
    proposal = open_target(args)[args.proposal]
    keys = args.scans or proposal.keys()
    out = Path(args.out).absolute()
    scans = [proposal[key] for key in keys]
    present = [str(p) for p in (target_file(s, out) for s in scans) if p.exists()]
    if present and not args.overwrite:
        shown = ", ".join(present[:3]) + (
            f" and {len(present) - 3} more" if len(present) > 3 else ""
        )
        msg = (
            f"{len(present)} of the {len(keys)} output files exist already ({shown}): nothing was "
            "cooked; pass --overwrite to replace them, or --out another folder"
        )
        raise UsageError(msg)
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)  # type: ignore[no-untyped-call]
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, tuple[str, str]] = {}
    try:
        for key, outcome in cook_many_to_files(
            scans, folder=out, overwrite=args.overwrite, client=client, lazy=args.lazy,
            recipe=args.recipe, workers=args.workers,
        ):  # fmt: skip
            if isinstance(outcome, BaseException):  # FileExistsError: made by someone else since
                rows[key] = ("failed", f"{type(outcome).__name__}: {outcome}".replace("\n", " "))
            else:
                rows[key] = ("ok", str(outcome))
    finally:
        if client is not None:
            client.close()  # type: ignore[no-untyped-call]
    from datetime import UTC, datetime

    when = datetime.now(UTC).isoformat(timespec="seconds")
    recipe = args.recipe or "(the adapter's cook step)"
    header = "# scan\tstatus\tfile or error\trecipe\tcooked at (UTC)"
    lines = [
        f"{key}\t{rows[key][0]}\t{rows[key][1]}\t{recipe}\t{when}" for key in keys if key in rows
    ]
    summary = out / "summary.tsv"
    new = not summary.exists()
    with summary.open("a", encoding="utf-8") as table:  # earlier cooks' rows stay
        table.write((header + "\n" if new else "") + "\n".join(lines) + "\n")
    print("\n".join([header, *lines]))
    failed = [k for k, (status, _) in rows.items() if status != "ok"]
    if failed:
        msg = f"{len(failed)} of {len(keys)} scans failed ({', '.join(failed[:5])}); see {out / 'summary.tsv'}"
        raise SomeFailedError(msg)


def demo(args: argparse.Namespace) -> None:
    """``nx5d demo``."""
    from .demo import run_demo

    run_demo(out=args.out, frames=args.frames)
