"""Where the external services for tests are, and how a missing one is reported.

Outside CI a test that needs an absent service is skipped with the reason; in CI
(``CI=true``) the same absence fails the test, because CI must run them all.
"""

from __future__ import annotations

import os
import shutil
import socket
from functools import cache
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("CIRCLES_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CIRCLES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CIRCLES_TEST_CHROMIUM", "/usr/bin/chromium")


@cache
def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} — CI must run this test (CI=true)")
    pytest.skip(reason)


def require_postgres() -> None:
    if not reachable(POSTGRES_URL):
        _missing(f"PostgreSQL not reachable at {POSTGRES_URL} (set CIRCLES_TEST_POSTGRES_URL)")


def require_redis() -> None:
    if not reachable(REDIS_URL):
        _missing(f"Redis not reachable at {REDIS_URL} (set CIRCLES_TEST_REDIS_URL)")


def require_program(name: str, install: str) -> str:
    """The path of an executable the test needs (e.g. a Redis server of its own)."""
    path = shutil.which(name)
    if path is None:
        _missing(f"{name} not found ({install})")
    return str(path)


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else str(shutil.which("chromium"))
