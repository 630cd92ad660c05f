"""The ``nx5d`` command: adapters, ls, show, spice, demo."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..proposal import Proposal
    from ..repository import Repository

__all__ = ["main"]


def _open(args: argparse.Namespace) -> Repository:
    from ..config import catalog, list_configs
    from ..opening import open_repository

    if args.adapter is None and args.spice is None and args.target in list_configs():
        return catalog[args.target]
    return open_repository(args.target, adapter=args.adapter, spice=args.spice)


def _cmd_adapters(args: argparse.Namespace) -> None:
    from ..plugins import list_adapters

    infos = list_adapters()
    if not infos:
        print("no adapters installed (packages with an 'nx5d' entry point provide them)")
    for info in infos:
        print(f"{info.name}\t{info.description}")
        print(f"\tpatterns: {', '.join(info.url_patterns) or '-'}")
        print(f"\tfrom: {info.distribution}")


def _cmd_ls(args: argparse.Namespace) -> None:
    repo = _open(args)
    if args.proposal is None and repo.only_proposal is None:
        for key in repo:
            print(key)
        return
    if args.proposal is None:  # one file or folder pointed at: show its scans
        args.proposal = repo.only_proposal
        print(f"proposal {args.proposal}:")
    proposal = repo[args.proposal]
    if args.scan is not None:
        _show_scan(proposal, args.scan)
        return
    for entry in proposal.summaries():
        if entry.summary is None:
            print(f"{entry.key}\tFAILED: {type(entry.error).__name__}: {entry.error}")
            continue
        s = entry.summary
        time = s.time.isoformat(timespec="seconds") if s.time else "-"
        print(f"{entry.key}\t{s.type}\t{s.num_frames}\t{time}\t{s.description}")


def _show_scan(proposal: Proposal, key: str) -> None:
    scan = proposal[key]
    for name, value in scan.summary.model_dump().items():
        print(f"{name}: {value}")
    lazy = scan.lazy()
    print("variables:")
    for var_name, var in [*lazy.coords.items(), *lazy.data_vars.items()]:
        units = var.attrs.get("units", "")
        print(f"  {var_name!s}\t{var.dims}\t{var.dtype}\t{units}")


def _cmd_show(args: argparse.Namespace) -> None:
    _show_scan(_open(args)[args.proposal], args.scan)


def _data(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        msg = f"--data must be a JSON object, got {text!r}"
        raise ValueError(msg)  # noqa: TRY004 - reported to the user like other bad input
    return value


def _print_record(record: Any) -> None:
    print(json.dumps(record.model_dump(mode="json"), sort_keys=True))


def _cmd_spice(args: argparse.Namespace) -> None:
    spice = _open(args)[args.proposal].spice
    op = args.op
    if op == "seed":
        _print_record(spice.seed(args.handle, _data(args.data), type=args.type, author=args.author))
    elif op == "update":
        _print_record(
            spice.update(
                args.handle,
                _data(args.data),
                scan=args.scan,
                anchor=args.anchor,
                base=args.base,
                author=args.author,
            )
        )
    elif op == "anchor":
        _print_record(
            spice.anchor(
                args.handle, args.scan, _data(args.data), type=args.type, author=args.author
            )
        )
    elif op == "view":
        view = spice.view(args.scan)
        out = {
            h: (v.model_dump(mode="json") if hasattr(v, "model_dump") else v)
            for h, v in view.items()
        }
        print(
            json.dumps(
                {"scan": args.scan, "values": out, "provenance": view.provenance()},
                indent=2,
                sort_keys=True,
            )
        )
    elif op == "history":
        for record in spice.history(args.handle, anchor=args.anchor):
            flag = " (deleted)" if record.deleted else ""
            print(
                f"{record.anchor or '(start)'}\tr{record.revision}\t{record.timestamp:%Y-%m-%d %H:%M:%S}\t{record.author}\t{record.uuid}{flag}"
            )
    elif op == "diff":
        for name, (old, new) in spice.diff(
            args.handle, args.old, args.new, anchor=args.anchor
        ).items():
            print(f"{name}: {old!r} -> {new!r}")
    elif op == "revert":
        _print_record(
            spice.revert(args.handle, args.revision, anchor=args.anchor, author=args.author)
        )
    elif op == "delete":
        _print_record(spice.delete(args.handle, anchor=args.anchor, author=args.author))
    elif op == "export":
        paths = spice.export_nx5d(args.path) if args.nx5d else [spice.export(args.path)]
        print(f"wrote {len(paths)} file(s) to {args.path}")
    elif op == "import":
        count = spice.import_nx5d(args.path) if args.nx5d else spice.import_(args.path)
        print(f"imported {count} new record(s)")


def _cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo

    run_demo(out=args.out, frames=args.frames)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nx5d", description="Reach x-ray experiment data: repository -> proposal -> scan."
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("adapters", help="list installed adapters").set_defaults(func=_cmd_adapters)

    def repo_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "target", help="a configured repository name (see NX5D_CONFIG_PATH) or a URL"
        )
        p.add_argument("--adapter", help="adapter name (guessed from the URL if omitted)")
        p.add_argument("--spice", help="spice store: path or sqlite:/// URL")

    ls = sub.add_parser("ls", help="list proposals, scans of a proposal, or one scan")
    repo_args(ls)
    ls.add_argument("proposal", nargs="?")
    ls.add_argument("scan", nargs="?")
    ls.set_defaults(func=_cmd_ls)

    show = sub.add_parser("show", help="a scan's summary and variables (no bulk data read)")
    repo_args(show)
    show.add_argument("proposal")
    show.add_argument("scan")
    show.set_defaults(func=_cmd_show)

    spice = sub.add_parser("spice", help="the versioned processing parameters of a proposal")
    repo_args(spice)
    spice.add_argument("proposal")
    ops = spice.add_subparsers(dest="op", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--author")
    common.add_argument("--anchor", help="the chain's anchor scan ('' for the proposal start)")
    o = ops.add_parser("seed", parents=[common])
    o.add_argument("handle")
    o.add_argument("--type", required=True)
    o.add_argument("--data", help="JSON object")
    o = ops.add_parser("update", parents=[common])
    o.add_argument("handle")
    o.add_argument("--data", required=True, help="JSON object of fields to change")
    o.add_argument("--scan", help="update the chain that governs this scan")
    o.add_argument(
        "--base", type=int, help="the revision you started from (conflict if not current)"
    )
    o = ops.add_parser("anchor", parents=[common])
    o.add_argument("handle")
    o.add_argument("scan")
    o.add_argument("--data", help="JSON object of fields to change")
    o.add_argument("--type")
    o = ops.add_parser("view", parents=[common])
    o.add_argument("scan")
    o = ops.add_parser("history", parents=[common])
    o.add_argument("handle")
    o = ops.add_parser("diff", parents=[common])
    o.add_argument("handle")
    o.add_argument("old", type=int)
    o.add_argument("new", type=int)
    o = ops.add_parser("revert", parents=[common])
    o.add_argument("handle")
    o.add_argument("revision", type=int)
    o = ops.add_parser("delete", parents=[common])
    o.add_argument("handle")
    for name in ("export", "import"):
        o = ops.add_parser(name, parents=[common])
        o.add_argument("path")
        o.add_argument("--nx5d", action="store_true", help="nx5d's folder of JSON records")
    spice.set_defaults(func=_cmd_spice)

    demo = sub.add_parser("demo", help="the main job on built-in sample data")
    demo.add_argument("--out", help="output folder (default: the user cache dir)")
    demo.add_argument("--frames", type=int, default=None, help="frames per sample scan")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (errors are printed, not raised)."""
    from ..errors import Nx5dError

    args = _parser().parse_args(argv)
    level = logging.WARNING - 10 * args.verbose
    logging.basicConfig(
        level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        args.func(args)
    except (Nx5dError, KeyError, ValueError, OSError) as exc:
        print(f"nx5d: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
