"""The ``nx5d`` argument parser (what the commands take); :mod:`.commands` does the work."""

from __future__ import annotations

import argparse

__all__ = ["build_migrate_parser", "build_parser"]


def _repository_options(p: argparse.ArgumentParser, *, nested: bool = False) -> None:
    # nested parsers must not overwrite what the outer one parsed: SUPPRESS their defaults
    default = argparse.SUPPRESS if nested else None
    p.add_argument(
        "--adapter", default=default, help="adapter name (guessed from the URL if omitted)"
    )
    p.add_argument(
        "--spice",
        default=default,
        help="spice store: path, sqlite:/// or postgresql:// URL (else the config's spice:, else $NX5D_SPICE)",
    )
    p.add_argument(
        "--option",
        action="append",
        default=default,
        metavar="KEY=VALUE",
        help="an adapter option (repeatable); VALUE is read as JSON where it is JSON",
    )
    p.add_argument(
        "--no-index",
        action="store_true",
        default=default if nested else False,
        help="read every summary from the files instead of the summary index",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``nx5d`` command; ``--adapter``/``--spice`` go anywhere after it."""
    from . import commands, spice_commands

    parser = argparse.ArgumentParser(
        prog="nx5d", description="Reach x-ray experiment data: repository -> proposal -> scan."
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"nx5d_core {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("adapters", help="list installed adapters").set_defaults(func=commands.adapters)
    sub.add_parser("recipes", help="list installed recipes and their spice types").set_defaults(
        func=commands.recipes
    )

    def repository(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument(
            "target", help="a configured repository name (see NX5D_CONFIG_PATH), a URL or a path"
        )
        _repository_options(p)
        return p

    from .serve import add_serve_parser, serve

    served = repository("serve", "serve the repository over HTTP with tiled (API key; localhost)")
    add_serve_parser(served)
    served.set_defaults(func=serve)

    ls = repository("ls", "list proposals, the scans of a proposal, or a scan's variables")
    ls.add_argument("proposal", nargs="?", help="a proposal key (default: list the proposals)")
    ls.add_argument("scan", nargs="?", help="a scan key (default: list the proposal's scans)")
    ls.add_argument(
        "--follow",
        action="store_true",
        help="after the listing, print each new scan as it appears (until Ctrl-C or --timeout)",
    )
    ls.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --follow: stop after this long (default: never)",
    )
    ls.set_defaults(func=commands.ls)

    show = repository("show", "everything about one scan: summary, variables, metadata")
    show.add_argument("proposal", help="the proposal key")
    show.add_argument("scan", help="the scan key")
    show.add_argument(
        "--metadata",
        action="store_true",
        help="every metadata entry, whole (default: the first 20)",
    )
    show.set_defaults(func=commands.show)

    index = repository("index", "rebuild the summary index of a repository (every scan read again)")
    index.set_defaults(func=commands.index)

    search = repository("search", "find scans across proposals, oldest first")
    search.add_argument(
        "query",
        nargs="?",
        help="e.g. \"type == 'ascan' and time > '2021-02-05'\", \"text('InP 333')\"",
    )
    search.add_argument("--proposal", help="only this proposal")
    search.add_argument("--since", help="start time from (ISO 8601, with a zone or local)")
    search.add_argument("--until", help="start time before")
    search.add_argument("--type", help="scan type")
    search.add_argument("--text", help="words (prefixes) in key, type, description, comments")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    search.set_defaults(func=commands.search)

    cook = repository("cook", "cook many scans in parallel into NeXus files")
    cook.add_argument("proposal", help="the proposal key")
    cook.add_argument("scans", nargs="*", help="scan keys (default: every scan)")
    cook.add_argument("--out", required=True, help="folder for the NeXus files and summary.tsv")
    cook.add_argument(
        "--scheduler",
        help="a dask.distributed scheduler (tcp://host:port); default: local processes",
    )
    cook.add_argument("--workers", type=int, help="local processes (default: the cores)")
    cook.add_argument("--lazy", action="store_true", help="cook from lazy data (low memory)")
    cook.add_argument("--recipe", help="an installed recipe (default: the adapter's cook step)")
    cook.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that exist (default: refuse, and cook nothing)",
    )
    cook.set_defaults(func=commands.cook)

    spice = repository("spice", "the versioned processing parameters of a proposal")
    spice.add_argument("proposal", help="the proposal key")
    ops = spice.add_subparsers(dest="op", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--author")
    common.add_argument("--anchor", help="the chain's anchor scan ('' for the proposal start)")
    _repository_options(common, nested=True)
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
    spice.set_defaults(func=spice_commands.spice)

    demo = sub.add_parser("demo", help="the main job on built-in sample data")
    demo.add_argument("--out", help="output folder (default: the user cache dir)")
    demo.add_argument("--frames", type=int, default=None, help="frames per sample scan")
    demo.set_defaults(func=commands.demo)
    parser.nx5d_commands = dict(sub.choices)  # type: ignore[attr-defined]
    return parser


def build_migrate_parser() -> argparse.ArgumentParser:
    """``nx5d spice migrate --from STORE --to STORE``: every record, verified, idempotent."""
    from . import spice_commands

    parser = argparse.ArgumentParser(
        prog="nx5d spice migrate",
        description="Copy every spice record (revisions, authors, times) from one store to "
        "another and verify counts and checksums; running it again copies nothing.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("--from", dest="source", required=True, help="sqlite:///path or a path")
    parser.add_argument("--to", dest="target", required=True, help="postgresql://user@host/db")
    parser.set_defaults(func=spice_commands.migrate)
    return parser
