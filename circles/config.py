"""Configuration: defaults → instance file → environment → test overrides.

Nothing here runs at import time beyond defining defaults; ``load_config`` is called by the
factory with the app it configures.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

#: Environment variables read without the ``FLASK_`` prefix (the names operators expect).
PLAIN_ENV_KEYS = (
    "DATABASE_URL",
    "SECRET_KEY",
    "SOCKETIO_MESSAGE_QUEUE",
    "SOCKETIO_CHANNEL",
    "RATELIMIT_STORAGE_URI",
    "SESSION_COOKIE_SECURE",
    "MAIL_SERVER",
    "MAIL_PORT",
)


class Defaults:
    """Safe defaults for a local run; production overrides them through the environment."""

    DATABASE_URL: str | None = None  # None → SQLite file in the instance folder
    SOCKETIO_MESSAGE_QUEUE: str | None = None  # None → in-process queue
    SOCKETIO_CHANNEL = "flask-socketio"  # Redis pub/sub channel; separate deployments on one Redis
    SOCKETIO_CORS_ALLOWED_ORIGINS: list[str] | None = None  # None → same origin only
    # Flood control of member events (docs/realtime.md): tokens per second and burst, per
    # socket and per member (per process); refused events within 1 s that cut a socket off.
    # Each accepted event is a write and a broadcast, so a flooder's burst is what it costs
    # everyone else: a person in the room sends a few events a second at most.
    SOCKETIO_RATE_PER_SID = 10
    SOCKETIO_BURST_PER_SID = 20
    SOCKETIO_RATE_PER_MEMBER = 20
    SOCKETIO_BURST_PER_MEMBER = 40
    SOCKETIO_FLOOD_CUTOFF = 20
    SOCKETIO_FLOOD_COOLDOWN = 30  # seconds a member cut off for flooding may not reconnect
    # Member events one process works on at once (waiting for the database included); the
    # next is answered "busy, send again" at once (realtime/busy.py). A change takes a few
    # milliseconds, so 32 waiting is ~0.2 s of queue. 0 → no bound.
    SOCKETIO_BUSY_AT = 32
    # Socket.IO connects per client address (tokens per second, burst), checked before any
    # database work. High enough for every client behind one address reconnecting at once
    # after a server restart (docs/deploy.md); 0 → no limit.
    SOCKETIO_CONNECT_RATE = 50
    SOCKETIO_CONNECT_BURST = 300
    # Open sockets one member, and one login (browser), may hold at once, over every server
    # process (docs/realtime.md, "Live connections"); a tab holds one. 0 → no cap.
    SOCKETIO_MAX_SOCKETS_PER_MEMBER = 10
    SOCKETIO_MAX_SOCKETS_PER_LOGIN = 10
    SOCKETIO_HEARTBEAT_SECONDS = 5.0  # heartbeat through the Redis queue, checked by /health
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;100 per hour"
    SIGNUP_RATE_LIMIT = "5 per minute;50 per hour"
    # CSP violation reports per client address: a page breaking the policy sends a few;
    # beyond this they are refused (429) unread and unlogged, so a flood fills no log.
    CSP_REPORT_RATE_LIMIT = "30 per minute;300 per hour"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # bytes; a CSV of a few thousand members fits
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    # Seconds between a serving process's checkpoints of SQLite's write-ahead log, made in
    # a thread of their own instead of inside a commit (circles.server.BackgroundCheckpointer).
    SQLITE_CHECKPOINT_SECONDS = 1.0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None → decided by ``secure_cookies``: Secure everywhere except debug, tests and the
    # development server (`flask serve`, i.e. `make run` on http://127.0.0.1).
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # A login ends after this many days unused, and this many days after it began, whatever
    # happens (docs/security.md); the member logs in again.
    LOGIN_IDLE_DAYS = 14
    LOGIN_MAX_DAYS = 90
    # Who may create a community: "verified" (any member with a verified e-mail address) or
    # "admins" (site administrators only).
    COMMUNITY_CREATORS = "verified"
    # Links that go by e-mail: asking for a password reset, or a new verification link.
    RESET_RATE_LIMIT = "5 per minute;20 per hour"
    RESET_PER_ADDRESS_LIMIT = "3 per hour"
    # How often a facilitator may preview or run CSV imports.
    IMPORT_RATE_LIMIT = "10 per minute;100 per day"
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the (revocable) session
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Seconds a member without a connection shows as "reconnecting" before "away"; once the
    # facilitator is away, the timekeeper may take over (docs/realtime.md).
    LIVE_FACILITATOR_GRACE = 30
    LIVE_RESUME_LIMIT = 500  # missing changes beyond which a reconnecting client gets a snapshot
    # Seconds between a server process's heartbeats in the database; a process silent for 3
    # beats counts as dead and its connections are swept (docs/deploy.md). 0 → no beat.
    LIVE_PROCESS_BEAT = 10.0
    FORMATION_RUN_INLINE = False  # tests only: compute a formation run inside the request
    # E-mail: written to the outbox, then sent through this SMTP server; None → kept in the
    # outbox and shown on /dev/outbox (when SHOW_DEV_OUTBOX or debug).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # implicit TLS (usually port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Circles <circles@localhost>"
    MAIL_BASE_URL = "http://127.0.0.1:5000"  # links in e-mails start with this
    MAIL_TIMEOUT = 10  # seconds
    SHOW_DEV_OUTBOX = False
    # A self-hosted Jitsi-style video service (e.g. "https://meet.example.org"): "Create a video
    # room" then makes an unguessable link there. "" → members paste links of their own.
    VIDEO_ROOM_BASE_URL = ""
    NOTIFY_INTERVAL_SECONDS = 300  # reminders + outbox round of `flask serve`; 0 → off


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order: defaults, instance file, environment, test overrides."""
    app.config.from_object(Defaults)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()  # FLASK_* (values parsed as JSON where they can be)
    for key in PLAIN_ENV_KEYS:
        if key in os.environ:
            app.config[key] = _parse_env(os.environ[key])
    if test_config is not None:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    secure_cookies(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(
        app.config.get("DATABASE_URL"), Path(app.instance_path)
    )


def secure_cookies(app: Flask, *, plain_http: bool = False) -> None:
    """Give the session cookie the ``Secure`` flag unless told otherwise or running locally.

    Production is secure without configuration; debug mode, tests and the development
    server (``plain_http=True`` from `flask serve`) speak plain http on 127.0.0.1, where a
    Secure cookie would never come back. An explicit ``SESSION_COOKIE_SECURE`` always wins.
    """
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE_DEFAULTED"] = True
    if app.config.get("SESSION_COOKIE_SECURE_DEFAULTED"):
        app.config["SESSION_COOKIE_SECURE"] = not (plain_http or app.debug or app.testing)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]


def database_uri(url: str | None, instance: Path) -> str:
    """Turn ``DATABASE_URL`` into a SQLAlchemy URL (psycopg 3 for PostgreSQL).

    >>> database_uri("postgres://db/x", Path("/i"))
    'postgresql+psycopg://db/x'
    >>> database_uri(None, Path("/i"))
    'sqlite:////i/circles.sqlite3'
    """
    if not url:
        return f"sqlite:///{instance / 'circles.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _parse_env(value: str) -> Any:
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes", "on"}:
        return True
    if lowered in {"false", "0", "no", "off"}:
        return False
    return value


def _instance_secret(instance: Path) -> str:
    """Read the instance's random secret key, creating it (mode 0600) on first run."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
