"""A real PostgreSQL server for tests: ``initdb`` into a temporary folder, started on a free
loopback port, stopped at the end. As root the server runs as an unprivileged user (PostgreSQL
refuses to run as root); without the server binaries the caller skips, with the reason."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .processes import pid_alive, popen
from .serving import free_port

__all__ = ["SUPERUSER_PASSWORD", "PostgresServer", "find_binaries", "running_server"]

SUPERUSER_PASSWORD = "nx5d-test-superuser"
"""The throw-away server's superuser password (TCP connections need one, as on a real server)."""


def find_binaries() -> tuple[Path | None, str]:
    """The folder with ``initdb``/``pg_ctl``/``postgres``, or ``None`` and why not."""
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb") or "").parent))
    for folder in candidates:
        if folder and all((Path(folder) / b).exists() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(folder), ""
    return None, "PostgreSQL server binaries (initdb, pg_ctl, postgres) are not installed"


@dataclass(frozen=True)
class PostgresServer:
    """A running server: ``url`` for the superuser, ``url_for(user, password)`` for others."""

    host: str
    port: int
    superuser: str
    database: str

    password: str = SUPERUSER_PASSWORD

    @property
    def url(self) -> str:
        """The superuser's URL (password authentication, as on a facility's server)."""
        return self.url_for(self.superuser, self.password)

    def url_for(self, user: str, password: str, database: str | None = None) -> str:
        """A URL with a password, for roles made with :meth:`execute`."""
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{database or self.database}"

    def execute(self, sql: str, *, database: str | None = None) -> None:
        """Run ``sql`` as the superuser (autocommit)."""
        import psycopg

        url = self.url_for(self.superuser, self.password, database)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, name: str) -> str:
        """Create database ``name``; its superuser URL."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(self.superuser, self.password, name)


def _as_user(user: str | None) -> list[str]:
    if user is None:
        return []
    entry = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]


@contextlib.contextmanager
def running_server(*, bindir: Path) -> Iterator[PostgresServer]:
    """Start a throw-away server; stop it and remove its files on exit."""
    user: str | None = None
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None or shutil.which("setpriv") is None:
            msg = "running as root without a 'postgres'/'nobody' user and setpriv to run the server"
            raise RuntimeError(msg)
    remove_stale_servers()
    base = Path(tempfile.mkdtemp(prefix=PREFIX))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        base.chmod(0o755)
        os.chown(sockets, entry.pw_uid, entry.pw_gid)
        data.mkdir()
        os.chown(data, entry.pw_uid, entry.pw_gid)
    superuser = user or pwd.getpwuid(os.geteuid()).pw_name
    port = free_port()
    prefix = _as_user(user)
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    pwfile = sockets / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", superuser, "-E", "UTF8"]
    auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
    subprocess.run(
        [*prefix, *initdb, *auth],
        check=True,
        capture_output=True,
        env=env,
    )
    # the postmaster is our child (no pg_ctl daemon): it gets SIGQUIT, PostgreSQL's immediate
    # shutdown, when the test process dies, so a killed run leaves no server behind
    options = ["-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", str(sockets), "-c", "fsync=off", "-c", "max_connections=60"]  # fmt: skip
    log = base / "server.log"
    (base / OWNER).write_text(str(os.getpid()))
    keep = ["--pdeathsig", "SIGQUIT"] if prefix else []
    with log.open("wb") as out:
        postmaster = popen(
            [*prefix, *keep, str(bindir / "postgres"), "-D", str(data), *options],
            sig=signal.SIGQUIT, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=base,
        )  # fmt: skip
    try:
        server = PostgresServer("127.0.0.1", port, superuser, "postgres")
        deadline = time.monotonic() + 30
        while True:
            if postmaster.poll() is not None:
                msg = f"PostgreSQL did not start: {log.read_text()[-2000:]}"
                raise RuntimeError(msg)
            try:
                server.execute("SELECT 1")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        server.execute("CREATE DATABASE nx5d")
        yield PostgresServer("127.0.0.1", port, superuser, "nx5d")
    finally:
        postmaster.send_signal(signal.SIGQUIT)
        try:
            postmaster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            postmaster.kill()
            postmaster.wait()
        shutil.rmtree(base, ignore_errors=True)


PREFIX = "nx5d-pg-"
OWNER = "owner.pid"
"""The file in a server's folder that names the test process it belongs to."""


def remove_stale_servers() -> list[Path]:
    """Stop and remove the servers of test processes that are gone (a run killed before the
    kernel's death signal existed for them, or on a platform without one); return their folders."""
    removed = []
    for base in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((base / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if pid_alive(owner):
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            postmaster = int((base / "data" / "postmaster.pid").read_text().split()[0])
            if pid_alive(postmaster):
                os.kill(postmaster, signal.SIGQUIT)
        shutil.rmtree(base, ignore_errors=True)
        removed.append(base)
    return removed


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
