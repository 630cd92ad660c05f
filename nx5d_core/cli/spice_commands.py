"""The ``nx5d spice`` and ``nx5d spice migrate`` commands: list, show, seed, anchor and move
records of the spice store. Output goes to stdout."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from .commands import UsageError, open_target

__all__ = ["migrate", "spice"]


def _data(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        msg = f"--data must be a JSON object, got {text!r}"
        raise UsageError(msg)
    return value


def _print_record(record: Any) -> None:
    print(json.dumps(record.model_dump(mode="json"), sort_keys=True))


def spice(args: argparse.Namespace) -> None:
    """``nx5d spice TARGET PROPOSAL OP ...``."""
    # reads need a store as much as writes: an unnamed one is empty, and "{}" would look like
    # an answer
    store = open_target(args, need_store=True)[args.proposal].spice
    op = args.op
    if op == "seed":
        _print_record(store.seed(args.handle, _data(args.data), type=args.type, author=args.author))
    elif op == "update":
        _print_record(
            store.update(
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
            store.anchor(
                args.handle, args.scan, _data(args.data), type=args.type, author=args.author
            )
        )
    elif op == "view":
        view = store.view(args.scan)
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
        for record in store.history(args.handle, anchor=args.anchor):
            flag = " (deleted)" if record.deleted else ""
            print(
                f"{record.anchor or '(start)'}\tr{record.revision}\t{record.timestamp:%Y-%m-%d %H:%M:%S}\t{record.author}\t{record.uuid}{flag}"
            )
    elif op == "diff":
        for name, (old, new) in store.diff(
            args.handle, args.old, args.new, anchor=args.anchor
        ).items():
            print(f"{name}: {old!r} -> {new!r}")
    elif op == "revert":
        _print_record(
            store.revert(args.handle, args.revision, anchor=args.anchor, author=args.author)
        )
    elif op == "delete":
        _print_record(store.delete(args.handle, anchor=args.anchor, author=args.author))
    elif op == "export":
        paths = store.export_nx5d(args.path) if args.nx5d else [store.export(args.path)]
        print(f"wrote {len(paths)} file(s) to {os.path.normpath(args.path)}")
    elif op == "import":
        count = store.import_nx5d(args.path) if args.nx5d else store.import_(args.path)
        print(f"imported {count} new record(s)")


def migrate(args: argparse.Namespace) -> None:
    """``nx5d spice migrate --from STORE --to STORE``."""
    from ..spice.migrate import migrate as run
    from ..spice.store import open_store

    source, target = open_store(args.source), open_store(args.target)
    try:
        report = run(source=source, target=target)
    finally:
        source.close()
        target.close()
    print(
        f"{report.source_records} records in {source.display}; {report.copied} copied to "
        f"{target.display}; {report.verified} verified (checksum {report.checksum[:16]})"
    )
