"""Live Circles servers for tests that need a real transport: Socket.IO clients and browsers.

``LiveServer`` runs the app the way ``make run`` does (``flask serve``), in its own process
on a free port, on a database the real Alembic migrations were applied to (once per run for
the SQLite file each test gets a copy of; once per test for any other URL). The process is
forked from a warm one that imported the app once (``tests/support/zygote.py``;
``CIRCLES_TEST_ZYGOTE=0`` starts each afresh); ``start(gunicorn=True)`` always starts afresh,
as gevent must patch the standard library before anything else is imported. Fixtures:

- ``live``: one server on a fresh SQLite file (function scope);
- ``live_server_factory(**env)``: several servers for one test, sharing one database (and one
  ``SECRET_KEY``, so a cookie from one is honoured by another) unless told otherwise.

``http_session(server)`` is a ``requests.Session`` that signs up and logs in through the
real forms, CSRF token and all. Tests using these are marked ``@pytest.mark.live``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text

from circles.deploy import free_port
from tests.support import zygote
from tests.support.zygote import ROOT

START_TIMEOUT = 20.0  # seconds until the port must answer
STOP_TIMEOUT = 5.0  # seconds between terminate and kill
PASSWORD = "correct horse battery"
#: Variables of the test runner's own environment that must not leak into a server
#: (besides every ``FLASK_*`` one): each server gets exactly the configuration it is given.
_SCRUBBED = ("WERKZEUG_RUN_MAIN", "WERKZEUG_SERVER_FD", "DATABASE_URL", "SECRET_KEY",
             "SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "SESSION_COOKIE_SECURE")
#: Flood bursts for clients that send back to back at machine speed in a test about something
#: else (authorisation, Redis, crashes); flood control itself is tested in tests/live/test_flood.py.
MACHINE_SPEED: dict[str, Any] = {"SOCKETIO_BURST_PER_SID": 10_000,
                                 "SOCKETIO_BURST_PER_MEMBER": 10_000}
#: The same for a live server, as environment variables.
MACHINE_SPEED_ENV = {f"FLASK_{key}": str(value) for key, value in MACHINE_SPEED.items()}


def runner_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in _SCRUBBED and not k.startswith("FLASK_")}


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "circles", *args]


def gunicorn_command(port: int) -> list[str]:
    """The README's production command (one gevent worker), reading ``gunicorn.conf.py``."""
    from circles.deploy import gunicorn_command as production

    return production(port)


def run_flask(args: list[str], env: dict[str, str], *, timeout: float = 120) -> tuple[int, str]:
    """``flask --app circles *args`` with exactly ``env``: its exit code and its output (stdout
    and stderr together). Forked from the zygote unless ``CIRCLES_TEST_ZYGOTE=0``."""
    if not zygote.enabled():
        done = subprocess.run(flask_command(*args), check=False, cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout)
        return done.returncode, done.stdout
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "output.log"
        child = zygote.spawn(args, env=env, cwd=ROOT, log=log)
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=STOP_TIMEOUT)
            raise
        return code, log.read_text(errors="replace")


def upgrade_database(env: dict[str, str]) -> None:
    """Apply the real Alembic migrations (``flask db upgrade``) to ``env``'s database."""
    code, output = run_flask(["db", "upgrade"], env, timeout=60)
    if code != 0:
        pytest.fail(f"`flask db upgrade` failed for a live server:\n{output[-4000:]}")


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with its write-ahead log, if one was left behind."""
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


@contextmanager
def app_on(database_url: str, **config: Any) -> Iterator[Flask]:
    """A Flask app in this process on ``database_url`` (a live server's, a copy of a world),
    for seeding or reading through the domain; its connections are closed on leaving."""
    from circles import create_app
    from circles.extensions import orm

    app = create_app({"TESTING": True, "SECRET_KEY": "in-process", "DATABASE_URL": database_url,
                      "RATELIMIT_STORAGE_URI": "memory://", **config})
    try:
        yield app
    finally:
        with app.app_context():
            orm.session.remove()
            orm.engine.dispose()




class LiveServer:
    """One Circles server process: ``start()`` migrates and serves, ``stop()`` ends it.

    ``gunicorn=True`` serves with the README's production command instead of ``flask serve``
    (plain http, so its cookies are not marked Secure)."""

    def __init__(self, instance: Path, env: dict[str, str], *, gunicorn: bool = False) -> None:
        self.instance = instance
        self.gunicorn = gunicorn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance / "server.log"
        self.env = runner_environment()
        self.env.update(PYTHONUNBUFFERED="1", CIRCLES_INSTANCE_PATH=str(instance), **env)
        self.env.setdefault("DATABASE_URL", f"sqlite:///{instance / 'live.sqlite3'}")
        self.env.setdefault("SECRET_KEY", secrets.token_hex(16))
        if gunicorn:
            self.env.setdefault("SESSION_COOKIE_SECURE", "false")
        self.process: subprocess.Popen[bytes] | zygote.Forked | None = None

    def start(self, *, migrate: bool = True) -> LiveServer:
        """Apply the migrations (unless the database already has them) and serve."""
        self.instance.mkdir(parents=True, exist_ok=True)
        if migrate:
            upgrade_database(self.env)
        serve = ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not self.gunicorn and zygote.enabled():  # a restarted server's log follows the first
            self.process = zygote.spawn(serve, env=self.env, cwd=ROOT,
                                        log=self.log_path)
        else:
            command = gunicorn_command(self.port) if self.gunicorn else flask_command(*serve)
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT)
        self._wait_until_answering()
        return self

    def _wait_until_answering(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"live server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"live server did not answer on {self.url} within {START_TIMEOUT} s:\n"
                    f"{self.log()}")

    def log(self, tail: int = 4000) -> str:
        """The end of the server's combined stdout and stderr."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except FileNotFoundError:
            return "(no output)"

    def kill(self) -> None:
        """``kill -9``: the process ends at once, no handler or exit hook of its own runs."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=STOP_TIMEOUT)

    def restart(self) -> LiveServer:
        """Serve again on the same port, database and secret key (after ``kill``/``stop``)."""
        self.stop()
        return self.start(migrate=False)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


class LiveSession(requests.Session):
    """A browser-like HTTP client for one live server: relative URLs, real forms, CSRF."""

    def __init__(self, server: LiveServer) -> None:
        super().__init__()
        self.server = server

    def request(self, method: str, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.server.url + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)

    def csrf_token(self, page: str) -> str:
        html = self.get(page).text
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def post_form(self, url: str, data: dict[str, Any] | None = None, *,
                  page: str | None = None, **kwargs: Any) -> requests.Response:
        """POST like a browser: with the CSRF token of the page that shows the form."""
        payload = {**(data or {}), "csrf_token": self.csrf_token(page or url)}
        kwargs.setdefault("allow_redirects", False)
        return self.post(url, data=payload, **kwargs)

    def signup(self, email: str, display_name: str = "Live Member",
               password: str = PASSWORD, *, verify: bool = True) -> requests.Response:
        """Sign up, then (unless told not to) open the verification link e-mailed to the
        address, as the person would."""
        response = self.post_form("/signup", {"email": email, "password": password,
                                              "display_name": display_name, "timezone": "UTC"})
        assert response.status_code in (302, 303), f"sign-up failed ({response.status_code})"
        if verify:
            verified = self.post_form(emailed_link(self.server, email, "/verify/"))
            assert verified.status_code in (302, 303), f"verifying failed ({verified.status_code})"
        return response

    def login(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.post_form("/login", {"email": email, "password": password})

    def logout(self) -> requests.Response:
        response = self.post_form("/logout", page="/")
        assert response.status_code in (302, 303), f"log-out failed ({response.status_code})"
        return response

    def cookie_header(self) -> str:
        """The ``Cookie`` header a browser would send to this server."""
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies if c.value is not None)


def emailed_link(server: LiveServer, to: str, prefix: str) -> str:
    """The newest link starting with ``prefix`` e-mailed to ``to``: what the person finds in
    their mailbox (the server's outbox, read from its database)."""
    engine = create_engine(server.env["DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            link = conn.execute(text("SELECT link FROM outbox_message WHERE \"to\" = :to AND "
                                     "link LIKE :prefix ORDER BY id DESC LIMIT 1"),
                                {"to": to.lower(), "prefix": prefix + "%"}).scalar()
    finally:
        engine.dispose()
    assert link, f"no e-mail to {to} with a {prefix} link"
    return str(link)


def http_session(server: LiveServer) -> LiveSession:
    return LiveSession(server)


ServerFactory = Callable[..., LiveServer]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the real migrations were applied to, once per run; each test gets a copy."""
    folder = tmp_path_factory.mktemp("live-template")
    path = folder / "template.sqlite3"
    env = runner_environment()
    env.update(CIRCLES_INSTANCE_PATH=str(folder), DATABASE_URL=f"sqlite:///{path}",
               SECRET_KEY="migrations-only")
    upgrade_database(env)
    return path


@contextmanager
def server_pool(base: Path, template: Path) -> Iterator[ServerFactory]:
    """Start servers that share one fresh SQLite file (a copy of ``template``) and one secret
    key unless ``env`` says otherwise; a given ``DATABASE_URL`` is migrated by its first
    server. Every server is stopped on leaving, even when the test failed."""
    default_db = base / "live.sqlite3"
    copy_sqlite(template, default_db)
    shared = {"DATABASE_URL": f"sqlite:///{default_db}", "SECRET_KEY": secrets.token_hex(16)}
    migrated = {shared["DATABASE_URL"]}
    servers: list[LiveServer] = []

    def start(*, gunicorn: bool = False, **env: str) -> LiveServer:
        server = LiveServer(base / f"server{len(servers) + 1}", {**shared, **env},
                            gunicorn=gunicorn)
        servers.append(server)
        url = server.env["DATABASE_URL"]
        server.start(migrate=url not in migrated)
        migrated.add(url)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def live_server_factory(tmp_path_factory: pytest.TempPathFactory,
                        migrated_sqlite: Path) -> Iterator[ServerFactory]:
    """``start(**env)`` → a running server (``start(gunicorn=True)``: under gunicorn); all of
    this test's servers share one database."""
    with server_pool(tmp_path_factory.mktemp("live"), migrated_sqlite) as start:
        yield start


@pytest.fixture
def live(live_server_factory: ServerFactory) -> LiveServer:
    """One live server on a fresh SQLite database."""
    return live_server_factory()
