"""``GET /health``: the database probe, and the message queue checked by Redis PING and by a
heartbeat each process must keep receiving through the Socket.IO channel.

A broken subscription is made for real on a Redis server of the test's own: its ACL stops
the default user using channels (Redis then drops the subscriber, and PING still answers),
and then the server is stopped altogether.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient

from circles import create_app
from tests.conftest import app_config
from tests.support.live import LiveServer, ServerFactory, free_port
from tests.support.services import REDIS_URL, require_program, require_redis

HEARTBEAT = 0.3  # seconds between heartbeats of the test servers


def test_health_is_ok_without_a_queue_and_tells_no_secrets(app: Flask,
                                                           client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["database"]["status"] == "ok" and body["database"]["ms"] >= 0
    assert body["message_queue"] == {"kind": "none"}
    assert body["pid"] == os.getpid() and body["uptime_seconds"] >= 0
    text = response.get_data(as_text=True)
    assert app.config["SECRET_KEY"] not in text
    assert app.config["SQLALCHEMY_DATABASE_URI"] not in text


def test_unreachable_database_is_503(tmp_path: Path) -> None:
    config = app_config("sqlite", tmp_path)
    config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite3'}"
    response = create_app(config).test_client().get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["database"] == {"status": "error", "error": "OperationalError"}
    assert body["problems"] == ["database: SELECT 1 failed (OperationalError)"]
    assert "missing-folder" not in response.get_data(as_text=True)


# --- with a Redis queue, on live servers ------------------------------------------------------


def health_of(server: LiveServer) -> tuple[int, dict[str, Any]]:
    response = requests.get(f"{server.url}/health", timeout=5)
    return response.status_code, response.json()


def wait_for(server: LiveServer, check: Callable[[int, dict[str, Any]], bool],
             within: float, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + within
    status, body = health_of(server)
    while not check(status, body):
        if time.monotonic() > deadline:
            pytest.fail(f"/health never showed {what} within {within} s; last: {status} {body}")
        time.sleep(0.1)
        status, body = health_of(server)
    return body


def heard(status: int, body: dict[str, Any]) -> bool:
    """Healthy, with at least one heartbeat received through the queue."""
    beat = body["message_queue"].get("heartbeat") or {}
    return status == 200 and beat.get("last_received_seconds_ago") is not None


def queue_env(url: str) -> dict[str, str]:
    return {"SOCKETIO_MESSAGE_QUEUE": url,
            "FLASK_SOCKETIO_CHANNEL": f"circles-health-{secrets.token_hex(6)}",
            "FLASK_SOCKETIO_HEARTBEAT_SECONDS": str(HEARTBEAT)}


@pytest.mark.live
@pytest.mark.redis
def test_health_with_redis_pings_and_hears_its_heartbeat(
        live_server_factory: ServerFactory) -> None:
    require_redis()
    server = live_server_factory(**queue_env(REDIS_URL))
    body = wait_for(server, heard, 5, "a received heartbeat")
    queue = body["message_queue"]
    assert queue["kind"] == "redis" and queue["status"] == "ok" and queue["ping_ms"] >= 0
    assert queue["heartbeat"]["interval_seconds"] == HEARTBEAT
    assert queue["heartbeat"]["last_received_seconds_ago"] <= 3 * HEARTBEAT
    assert body["database"]["status"] == "ok" and body["problems"] == []


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis server of this test's own (its ACL is changed and it is stopped)."""
    binary = require_program("redis-server", "apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=5)


@pytest.mark.live
@pytest.mark.redis
def test_broken_subscription_then_stopped_redis_make_health_503(
        live_server_factory: ServerFactory, own_redis: str) -> None:
    server = live_server_factory(**queue_env(own_redis))
    wait_for(server, heard, 5, "a received heartbeat")

    # The subscriber is dropped and may not subscribe again; PING still answers.
    admin = redis.Redis.from_url(own_redis)
    try:
        admin.execute_command("ACL", "SETUSER", "default", "resetchannels")
    finally:
        admin.close()
    body = wait_for(server, lambda status, _b: status == 503, 4, "503")
    assert body["status"] == "degraded"
    assert "ping_ms" in body["message_queue"]
    assert len(body["problems"]) == 1
    assert body["problems"][0].startswith("message queue: no heartbeat received")

    admin = redis.Redis.from_url(own_redis)
    try:
        admin.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server went before it answered
    finally:
        admin.close()
    body = wait_for(server, lambda _s, b: "ping_error" in b["message_queue"], 4, "a PING error")
    assert "message queue: Redis did not answer PING (ConnectionError)" in body["problems"]
