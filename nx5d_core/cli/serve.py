"""``nx5d serve``: the repository over HTTP with tiled (API key, localhost by default)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

__all__ = ["add_serve_parser", "serve"]
logger = logging.getLogger(__name__)


def add_serve_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``nx5d serve``."""
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: this machine only)"
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument(
        "--api-key", help="the key clients send (default: $NX5D_API_KEY, else a new one, printed)"
    )
    p.add_argument("--public", action="store_true", help="let clients without a key read")
    p.add_argument(
        "--tiled-config", help="a YAML file with tiled's authentication: section (several users)"
    )
    p.add_argument(
        "--include-paths", action="store_true", help="show server-side paths in metadata"
    )
    p.add_argument(
        "--max-response-mb",
        type=float,
        default=256,
        help="the largest read one response may need, in MiB (default 256; larger ones: 413)",
    )
    p.add_argument(
        "--read-budget-mb",
        type=float,
        default=None,
        help="MiB all requests together may hold at once (default: --max-response-mb)",
    )
    p.add_argument(
        "--send-timeout",
        type=float,
        default=30.0,
        help="seconds a client may leave a response chunk unread before it is cut off",
    )


def _check_free(host: str, port: int) -> None:
    """A usage error now, before "serving" is printed, when ``port`` cannot be listened on."""
    import socket

    from .commands import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            msg = f"cannot listen on {host}:{port} ({exc.strerror or exc}): another server uses it; choose another --port"  # fmt: skip
            raise UsageError(msg) from None


def serve(args: argparse.Namespace) -> None:
    """Build the application and run it with uvicorn until interrupted."""
    from .commands import UsageError, open_target

    try:
        import uvicorn

        from ..serve.app import API_KEY_ENV, build_app, new_api_key
    except ImportError:
        msg = "nx5d serve needs tiled's server: pip install 'nx5d-core[serve]'"
        raise UsageError(msg) from None
    authentication = None
    key = args.api_key or os.environ.get(API_KEY_ENV)
    if args.tiled_config:
        from ..serve.auth import load_authentication

        try:  # tiled's loader: ${VAR} means the environment's value
            authentication = load_authentication(args.tiled_config)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    elif not key:
        key = new_api_key()
        print(
            f"API key (send it as ?api_key= or the header 'Authorization: Apikey ...'): {key}",
            file=sys.stderr,
        )
    repo = open_target(args)  # after the configuration: a bad secret stops before any file is read
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        logger.warning("listening on %s: other machines can reach this server", args.host)
    from ..serve.limits import Limits, MiB

    biggest = int(args.max_response_mb * MiB)
    budget = int(args.read_budget_mb * MiB) if args.read_budget_mb else biggest
    try:
        limits = Limits(
            max_response_bytes=biggest,
            read_budget_bytes=budget,
            send_timeout_seconds=args.send_timeout,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    app = build_app(
        repo,
        api_key=key,
        public=args.public,
        authentication=authentication,
        include_paths=args.include_paths,
        limits=limits,
    )
    _check_free(args.host, args.port)
    print(f"serving {repo.url} at http://{args.host}:{args.port}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
