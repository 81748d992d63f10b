"""The live load benchmark's world: a migrated SQLite database with members in circles of 8,
each with a scheduled session and a login cookie, and the server processes that serve it
(the real app with ``flask serve``, the bare relay, a private redis-server), watched
through ``/proc``.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from circles import create_app
from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.config import database_uri
from circles.deploy import free_port, gunicorn_command, nginx_config
from circles.extensions import orm
from circles.members.logins import start_login
from circles.models import CircleSession, Membership, SessionRole, User, utcnow

ROOT = Path(__file__).resolve().parent.parent
ROOM_SIZE = 8
START_TIMEOUT = float(os.environ.get("CIRCLES_BENCH_START_TIMEOUT", "30"))  # seconds to answer
#: The runner's variables that must not reach a server (besides every ``FLASK_*`` one).
SCRUBBED = ("WERKZEUG_RUN_MAIN", "WERKZEUG_SERVER_FD", "DATABASE_URL", "SECRET_KEY",
            "SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "SESSION_COOKIE_SECURE")




@dataclass
class Seat:
    user_id: int
    cookie: str  # the ``Cookie`` header of a logged-in browser


@dataclass
class Room:
    session_id: int
    seats: list[Seat]  # seats[0] facilitates


@dataclass
class World:
    instance: Path
    database_url: str
    secret_key: str
    rooms: list[Room] = field(default_factory=list)

    def server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in SCRUBBED and not k.startswith("FLASK_")}
        env.update(PYTHONUNBUFFERED="1", CIRCLES_INSTANCE_PATH=str(self.instance),
                   DATABASE_URL=self.database_url, SECRET_KEY=self.secret_key,
                   FLASK_NOTIFY_INTERVAL_SECONDS="0")
        return env

    def versions(self) -> dict[int, int]:
        """Every bench session's version in the database now."""
        return {int(row[0]): int(row[1]) for row in
                self._rows("SELECT id, version FROM circle_session")}

    def contribution_texts(self) -> list[str]:
        return [str(row[0]) for row in self._rows("SELECT text FROM contribution")]

    def logged_op_ids(self) -> set[str]:
        """The idempotency keys of every change in the live event log."""
        return {str(row[0]) for row in
                self._rows("SELECT op_id FROM live_event WHERE op_id IS NOT NULL")}

    def _rows(self, query: str) -> list[Any]:
        engine = create_engine(database_uri(self.database_url, self.instance))
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query)))
        finally:
            engine.dispose()


def fresh_database(instance: Path, postgres: str | None) -> str:
    """A SQLite file in ``instance``, or (given the URL of a PostgreSQL server we may create
    databases on) a new database there, dropped by ``drop_database``."""
    if postgres is None:
        return f"sqlite:///{instance / 'bench.sqlite3'}"
    name = f"circles_bench_{secrets.token_hex(4)}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(postgres)._replace(path=f"/{name}"))


def drop_database(world: World, postgres: str | None) -> None:
    if postgres is None or not world.database_url.startswith("postgres"):
        return
    name = urlsplit(world.database_url).path.lstrip("/")
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_world(instance: Path, clients: int, postgres: str | None = None) -> World:
    """Migrate a fresh database and fill it: ``clients`` members in circles of up to 8
    (the last one smaller), one scheduled session each, one login cookie per member."""
    if instance.exists():
        shutil.rmtree(instance)
    instance.mkdir(parents=True)
    world = World(instance, fresh_database(instance, postgres), secrets.token_hex(16))
    app = create_app({"DATABASE_URL": world.database_url, "SECRET_KEY": world.secret_key,
                      "NOTIFY_INTERVAL_SECONDS": 0})
    with app.app_context():
        logging.disable(logging.INFO)  # Alembic's "Running upgrade …" lines
        try:
            upgrade()  # the real Alembic migrations, as `flask db upgrade` runs them
        finally:
            logging.disable(logging.NOTSET)
    signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    password = generate_password_hash("bench password")  # hashed once: scrypt is slow
    with app.app_context():
        db = orm.session()
        users = [User(email=f"bench{i}@example.org", password_hash=password,
                      display_name=f"Bench {i}", timezone="UTC") for i in range(clients)]
        db.add_all(users)
        db.flush()
        community = create_community(db, users[0], name="Load benchmark")
        db.add_all(Membership(community=community, user_id=u.id, role="member")
                   for u in users[1:])
        db.flush()
        tokens = [start_login(db, user, user_agent="bench") for user in users]
        for start in range(0, clients, ROOM_SIZE):
            group = users[start:start + ROOM_SIZE]
            if len(group) < 2:  # a circle needs two: a lone last member is left out
                break
            circle = create_circle(db, community, group[0], name=f"Room {start // ROOM_SIZE}",
                                   member_ids=[u.id for u in group])
            session = CircleSession(circle_id=circle.id, title="Load", starts_at=utcnow())
            session.roles = [SessionRole(role=role, user_id=u.id) for role, u in
                             zip(("facilitator", "timekeeper", "note_taker"), group)]
            db.add(session)
            db.flush()
            seats = [Seat(u.id, f"{cookie_name}="
                      f"{signer.dumps({'_user_id': tokens[start + i], '_fresh': True})}")
                     for i, u in enumerate(group)]
            world.rooms.append(Room(session.id, seats))
        db.commit()
    return world


@dataclass
class ProcessStats:
    """CPU %, RSS and threads of one process, sampled from ``/proc``."""

    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)


class Watched:
    """A child process whose CPU, memory and threads can be sampled."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log_path = command, env, log
        self.process: subprocess.Popen[bytes] | None = None
        self.stats = ProcessStats()
        self._last: tuple[int, float, float] | None = None  # pid, when, its CPU seconds

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # a group of its own: kill9 ends all of it
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._last = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def sample(self) -> None:
        """Add one sample (CPU % since the previous sample) unless the process is gone. A
        sample compares one process with itself: after a restart (a new gunicorn worker, or
        the master before it forks one) the first sample of the new process only starts its
        count, so a restart never shows as negative CPU."""
        try:
            pid = self.pid
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, AssertionError):
            return
        cpu_seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        now = time.monotonic()
        if self._last is not None and self._last[0] == pid and now > self._last[1]:
            self.stats.cpu.append(100 * (cpu_seconds - self._last[2]) / (now - self._last[1]))
        self._last = (pid, now, cpu_seconds)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                self.stats.rss_mb.append(int(line.split()[1]) / 1024)
            elif line.startswith("Threads:"):
                self.stats.threads.append(int(line.split()[1]))

    def kill9(self) -> None:
        """``kill -9`` of the process and its children (gunicorn's master and worker)."""
        if self.alive():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def wait_http(watched: Watched, url: str, timeout: float = START_TIMEOUT) -> None:
    """Wait until ``url`` answers (any HTTP status); fail with the log if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not watched.alive():
            raise SystemExit(f"{watched.command[-1]} exited:\n{watched.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"no answer from {url} within {timeout} s:\n{watched.log_tail()}")


class AppServer(Watched):
    """The real app, served the way ``make run`` and the live tests do (``flask serve``), or
    (``server="gunicorn"``) with the production command of ``circles.deploy``: gunicorn with
    a gevent worker, sampled through its worker process."""

    def __init__(self, world: World, name: str, *, server: str = "flask",
                 port: int | None = None, **env: str) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = server
        command = (gunicorn_command(self.port) if server == "gunicorn" else
                   [sys.executable, "-m", "flask", "--app", "circles", "serve",
                    "--host", "127.0.0.1", "--port", str(self.port)])
        super().__init__(command, {**world.server_env(), **env},
                         world.instance / f"{name}.log")

    @property
    def pid(self) -> int:
        """The process serving the sockets: gunicorn's worker, not its master."""
        master = super().pid
        if self.server != "gunicorn":
            return master
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            return master
        return int(children[0]) if children else master

    def start(self) -> AppServer:
        self.spawn()
        wait_http(self, self.url + "/health", timeout=START_TIMEOUT * 2)
        return self

    def terminate(self) -> None:
        """SIGTERM (a graceful shutdown: gunicorn drains the process) and wait for the end."""
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            self.process.wait(timeout=60)

    def sql_mark(self) -> int:
        """Where the server's log ends now (``sql_since`` counts what follows)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def sql_since(self, mark: int) -> dict[str, int]:
        """SQL statements, BEGINs, COMMITs and ROLLBACKs the server logged since ``mark``
        (with ``FLASK_SQLALCHEMY_ECHO``: SQLAlchemy's statement log, parameters hidden)."""
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return sql_counts(log)


class Front(Watched):
    """nginx with the sample of docs/deploy.md in front of ``upstreams``
    (``circles.deploy.nginx_config``)."""

    def __init__(self, instance: Path, upstreams: list[int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder = instance / "nginx"
        folder.mkdir(parents=True, exist_ok=True)
        config = nginx_config(folder, upstreams, self.port)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        super().__init__([nginx, "-p", str(folder), "-c", str(config)], dict(os.environ),
                         folder / "stderr.log")

    def start(self) -> Front:
        self.spawn()
        wait_http(self, self.url + "/health")
        return self


ENGINE_LINE = b" sqlalchemy.engine.Engine "


def sql_counts(lines: Any) -> dict[str, int]:
    """Statements and transaction commands in SQLAlchemy's echo log (bytes lines). Each
    statement, BEGIN, COMMIT and ROLLBACK is one round trip to a database server; so is
    each further batch of an ``insertmanyvalues`` INSERT.

    >>> sql_counts([b"t INFO sqlalchemy.engine.Engine BEGIN (implicit)\\n",
    ...             b"t INFO sqlalchemy.engine.Engine SELECT a\\n", b"FROM b\\n",
    ...             b"t INFO sqlalchemy.engine.Engine [cached since 1s ago] (hidden)\\n",
    ...             b"t INFO sqlalchemy.engine.Engine COMMIT\\n"])
    {'statements': 1, 'begin': 1, 'commit': 1, 'rollback': 0}
    """
    counts = {"statements": 0, "begin": 0, "commit": 0, "rollback": 0}
    for line in lines:
        at = line.find(ENGINE_LINE)
        if at < 0:
            continue
        message = line[at + len(ENGINE_LINE):]
        if message.startswith(b"BEGIN"):
            counts["begin"] += 1
        elif message.startswith(b"COMMIT"):
            counts["commit"] += 1
        elif message.startswith(b"ROLLBACK"):
            counts["rollback"] += 1
        elif message.startswith(b"[insertmanyvalues "):
            counts["statements"] += not message.startswith(b"[insertmanyvalues 1/")
        elif not message.startswith(b"["):
            counts["statements"] += 1
    return counts


class RelayServer(Watched):
    """The bare python-socketio relay (``bench/live_relay.py``): no app, no database."""

    def __init__(self, instance: Path, async_mode: str = "threading") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, str(ROOT / "bench" / "live_relay.py"), "--port",
                   str(self.port), "--async-mode", async_mode]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        super().__init__(command, env, instance / "relay.log")

    def start(self) -> RelayServer:
        self.spawn()
        wait_http(self, self.url + "/socket.io/?EIO=4&transport=polling")
        return self


class PrivateRedis(Watched):
    """A redis-server of our own on a free port, which may be killed and restarted."""

    def __init__(self, instance: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        super().__init__(command, dict(os.environ), instance / "redis.log")

    def start(self) -> PrivateRedis:
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"redis-server did not answer:\n{self.log_tail()}")
