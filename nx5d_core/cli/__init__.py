"""The ``nx5d`` command: adapters, ls, show, spice, demo (parser in :mod:`.parser`, work in
:mod:`.commands`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _configure_logging(verbose: int) -> None:
    """Our loggers at the asked level; third-party libraries stay at WARNING below -vvv."""
    level = max(logging.WARNING - 10 * verbose, logging.DEBUG)
    before = set(logging.getLogger().handlers)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from ..logs import RepeatFilter

    for handler in set(logging.getLogger().handlers) - before:
        # only the handler made here (a warning per scan: the first few, then counts); one an
        # embedding program (or pytest's log capture) installed is left as it is
        handler.addFilter(RepeatFilter())
    for name in ("nx5d_core", "nx5d_udkm", "nx5d_hdf5", "nx5d_spec", "nx5d_memory"):
        logging.getLogger(name).setLevel(level)
    if verbose >= 3:
        logging.getLogger().setLevel(logging.DEBUG)


def _for_the_command_line(message: str) -> str:
    return message.replace("adapter=...", "--adapter NAME").replace(
        "pass adapter=", "pass --adapter "
    )


def parse_intermixed(parser: argparse.ArgumentParser, given: list[str]) -> argparse.Namespace:
    """``given`` parsed with options anywhere after the command, between or after its
    positionals (``nx5d ls ROOT --option reduce=2 P S``): argparse alone would stop filling
    optional positionals at the first option. Commands with their own sub-commands (``spice``)
    are parsed as they are."""
    commands: dict[str, argparse.ArgumentParser] = getattr(parser, "nx5d_commands", {})
    at = next((n for n, a in enumerate(given) if not a.startswith("-")), len(given))
    name = given[at] if at < len(given) else None
    leaf = commands.get(name or "")
    if leaf is None or any(isinstance(a, argparse._SubParsersAction) for a in leaf._actions):
        return parser.parse_args(given)
    head = parser.parse_args([*given[:at], "adapters"])  # the global options (-v)
    args = leaf.parse_intermixed_args(given[at + 1 :])
    args.verbose, args.command = head.verbose, name
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (errors are printed, not raised): 1 for errors in the
    data or the request, 2 for a command that cannot run as given."""
    from ..errors import Nx5dError
    from .commands import UsageError
    from .parser import build_parser

    given = list(sys.argv[1:] if argv is None else argv)
    if [a for a in given if not a.startswith("-")][:2] == ["spice", "migrate"]:
        from .parser import build_migrate_parser

        args = build_migrate_parser().parse_args(
            [a for a in given if a not in ("spice", "migrate")][:]
        )
    else:
        args = parse_intermixed(build_parser(), given)
    _configure_logging(args.verbose)
    try:
        args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (head, less) stopped: not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as exc:
        print(f"nx5d: error: {exc}", file=sys.stderr)
        return 2
    except (Nx5dError, KeyError, ValueError, OSError) as exc:
        print(f"nx5d: error: {_for_the_command_line(str(exc))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
