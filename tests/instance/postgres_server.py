"""A real PostgreSQL server for tests: initdb in a temporary folder, started on a free loopback port, stopped after.

The server binaries are the system's when it has them (Debian's `postgresql`, or initdb and pg_ctl on PATH), else
the ones in the `pgserver` wheel (PostgreSQL 16, Apache-2.0), a dev dependency that `uv sync` installs. PostgreSQL
refuses to run as root, so under root the server runs as the unprivileged `postgres` user (or `nobody`), in a
temporary folder owned by that user. Import the fixtures into a conftest.py to use them.
"""

import importlib.util
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest

PG_BIN_ENV = "CONTENT_PIPELINE_PG_BIN"  # a folder holding initdb and pg_ctl, when they are somewhere unusual
SUPERUSER = "dagster"
START_TIMEOUT_S = 60
START_ATTEMPTS = 3  # a free port can be taken by someone else between choosing it and binding it
UNPRIVILEGED_USERS = ("postgres", "nobody")
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found in ${PG_BIN_ENV}, /usr/lib/postgresql/*/bin, on "
    "PATH, or in the pgserver package: run `uv sync` (it installs pgserver, a dev dependency), or install "
    f"`postgresql` (apt-get install postgresql), or point {PG_BIN_ENV} at the folder holding initdb and pg_ctl."
)
# Durability is worthless for a throwaway test server; these make it start and write faster.
SERVER_OPTIONS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=100")


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the server would not start."""


@dataclass(frozen=True)
class PostgresServer:
    """Where a running test server listens and how to sign in (password authentication, as in production)."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    socket_dir: Path
    bin_dir: Path

    def url(self, db_name: str = "postgres", scheme: str = "postgresql+psycopg2") -> str:
        return f"{scheme}://{self.username}:{self.password}@{self.host}:{self.port}/{db_name}"

    def connect(self, db_name: str = "postgres") -> Any:
        """A psycopg2 connection over TCP, like the instance's (the caller closes it)."""
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.username, password=self.password, dbname=db_name
        )

    def create_database(self, prefix: str = "test") -> str:
        """A new, empty database with a unique name; returns the name."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        connection = self.connect()
        try:
            connection.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def pgserver_bin() -> Path | None:
    """The folder of PostgreSQL binaries inside the installed `pgserver` wheel (found without importing it)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "pginstall" / "bin"


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: ${PG_BIN_ENV}, else Debian's newest, else PATH's, else pgserver's."""
    candidates: list[Path] = []
    if os.environ.get(PG_BIN_ENV):
        candidates.append(Path(os.environ[PG_BIN_ENV]))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    wheel = pgserver_bin()
    if wheel is not None:
        candidates.append(wheel)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run the server as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailableError(f"running as root, and none of the users {UNPRIVILEGED_USERS} exists")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class _Runner:
    """Runs the server's programs, as the unprivileged user when we are root, from inside the server's folder."""

    def __init__(self, bin_dir: Path, base: Path, user: pwd.struct_passwd | None) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.prefix: list[str] = []
        if user is not None:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise PostgresUnavailableError("running as root needs `setpriv` (util-linux) to drop privileges")
            ids = [f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
            self.prefix = [setpriv, *ids, "--"]
        # the C locale exists everywhere; the user's locale may not be installed
        self.env = {**os.environ, "LC_ALL": "C", "LANG": "C", "HOME": str(base)}
        self.env.pop("PGDATA", None)

    def __call__(self, program: str, *args: str, timeout: float = START_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
        command = [*self.prefix, str(self.bin_dir / program), *args]
        return subprocess.run(
            command, cwd=self.base, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


def _start(run: _Runner, data: Path, socket_dir: Path, log: Path, host: str) -> int:
    """Start the server on a free port; returns the port."""
    failure = ""
    for _ in range(START_ATTEMPTS):
        port = _free_port(host)
        options = [f"-c listen_addresses={host}", f"-p {port}", f"-k {socket_dir}"]
        options += [f"-c {option}" for option in SERVER_OPTIONS]
        wait = ["-w", "-t", str(START_TIMEOUT_S)]
        started = run("pg_ctl", "-D", str(data), "-l", str(log), *wait, "-o", " ".join(options), "start")
        if started.returncode == 0:
            return port
        server_log = log.read_text(errors="replace") if log.is_file() else ""
        failure = f"{started.stdout}{started.stderr}\n{server_log[-4000:]}"
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        time.sleep(0.2)
    raise PostgresUnavailableError(f"PostgreSQL did not start:\n{failure}")


@contextmanager
def running_postgres(host: str = "127.0.0.1") -> Iterator[PostgresServer]:
    """A fresh PostgreSQL cluster with a password-protected superuser, running for the duration of the block."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise PostgresUnavailableError(INSTALL_HINT)
    user = _unprivileged_user()
    # Not under pytest's tmp_path: its parents are private to root, and the server's user must reach its folder.
    base = Path(tempfile.mkdtemp(prefix="pg-"))
    try:
        data, socket_dir, log = base / "data", base / "sock", base / "server.log"
        socket_dir.mkdir()
        password = secrets.token_urlsafe(16)
        password_file = base / "password"
        password_file.write_text(password + "\n")
        if user is not None:
            for path in (base, socket_dir, password_file):
                os.chown(path, user.pw_uid, user.pw_gid)
        run = _Runner(bin_dir, base, user)
        initdb_options = ["-U", SUPERUSER, f"--pwfile={password_file}", "--auth=scram-sha-256"]
        initdb_options += ["--encoding=UTF8", "--no-locale", "--no-sync"]
        created = run("initdb", "-D", str(data), *initdb_options)
        if created.returncode != 0:
            raise PostgresUnavailableError(f"initdb failed:\n{created.stdout}{created.stderr}")
        password_file.unlink()
        port = _start(run, data, socket_dir, log, host)
        try:
            yield PostgresServer(host, port, SUPERUSER, password, socket_dir, bin_dir)
        finally:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session; fails (never skips) when the binaries are missing."""
    problem = ""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailableError as error:
        problem = str(error)  # reported outside the handler, without a chained traceback
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for one test, dropped after it; yields its name."""
    name = postgres_server.create_database()
    yield name
    postgres_server.drop_database(name)
