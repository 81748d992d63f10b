"""``GET /health``: the database probe, and the message queue checked by Redis PING and by a
heartbeat each process must keep receiving through the Socket.IO channel.

A broken subscription is made for real on a Redis server of the test's own: its ACL stops
the default user using channels (Redis then drops the subscriber, and PING still answers),
and then the server is stopped altogether.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import requests
import socketio
from flask import Flask
from flask.testing import FlaskClient

from circles import create_app
from realtime import heartbeat
from realtime.heartbeat import HeartbeatRedisManager
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
            pytest.fail(f"/health never showed {what} within {within} s; last: {status} {body}"
                        f"\nthe server's log:\n{server.log()}")
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


class StallingProxy:
    """A TCP proxy to Redis whose ``stall()`` stops passing on what Redis sends down the
    subscribing connections open at that moment, keeping them open: a subscription that
    hears nothing and fails nothing, as behind a network that lost its way. Publishing and
    later connections pass."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.subscribers: set[socket.socket] = set()  # Redis's side of them
        self.stalled: set[socket.socket] = set()
        self.open: list[socket.socket] = []
        self.hold_marker: bytes | None = None  # the first request holding it is held
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
                self.open += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if b"SUBSCRIBE" in data:
                    self.subscribers.add(sink)
                if self.hold_marker is not None and self.hold_marker in data:
                    self.hold_marker = None
                    self.stalled.add(source)  # on whichever connection it came
                if source not in self.stalled:
                    sink.sendall(data)

    def stall(self) -> None:
        self.stalled.update(self.subscribers)

    def stall_everything(self) -> None:
        """Hold what passes both ways on every connection open now (later ones pass)."""
        self.stalled.update(self.open)

    def hold_first(self, marker: bytes) -> None:
        """Hold the first request that carries ``marker``, on an open connection or a new
        one, and everything after it on its connection (later requests with it pass)."""
        self.hold_marker = marker

    def close(self) -> None:
        for sock in [self.listener, *self.open]:
            sock.close()


def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@contextlib.contextmanager
def beating_through(proxy: StallingProxy) -> Iterator[HeartbeatRedisManager]:
    """A heartbeat manager (one beat every 0.1 s) on Redis through ``proxy``, once it has
    heard a heartbeat; closed, with the proxy, on leaving."""
    manager = HeartbeatRedisManager(proxy.url, channel=f"circles-test-{secrets.token_hex(6)}",
                                    interval=0.1)
    socketio.Server(client_manager=manager, async_mode="threading",
                    logger=logging.getLogger("circles.test.heartbeat"))
    try:
        manager.initialize()
        until(lambda: manager.state().received_ago is not None, 5,
              "no heartbeat heard on a working queue")
        yield manager
    finally:
        manager.close()
        proxy.close()


def deaf_then_hearing(manager: HeartbeatRedisManager, seconds: float) -> None:
    """Wait until ``manager`` hears nothing (a heartbeat on its way may still arrive after
    a stall), then until it hears a heartbeat again, within ``seconds``."""
    until(lambda: (manager.state().received_ago or 0) >= 5 * manager.interval, 5,
          "the stalled subscription still hears")
    # (+ 10 ms: the state's ages are rounded to the millisecond)
    deaf_since = time.monotonic() - (manager.state().received_ago or 0) + 0.01
    until(lambda: (manager.state().received_ago or 99) < time.monotonic() - deaf_since,
          seconds, f"still deaf after {seconds} s: {manager.state()}")


def test_a_fresh_subscription_is_not_closed_for_the_silence_before_it() -> None:
    """Redis was down for longer than the time that makes a subscription count as deaf; the
    listener has just subscribed again, and no heartbeat has come through yet. The beating
    thread leaves the new subscription alone (closing it lost the broadcasts of the moment
    it took to subscribe again: a two-process test saw it under load); one that stays silent
    for that long is closed as before. No Redis is needed: nothing connects."""
    manager = HeartbeatRedisManager("redis://127.0.0.1:9/0", channel="circles-test",
                                    interval=0.3)
    socketio.Server(client_manager=manager, async_mode="threading",
                    logger=logging.getLogger("circles.test.heartbeat"))
    now = time.monotonic()
    manager._started, manager._received = now - 60.0, now - 10.0  # the outage's silence
    manager._subscribed = now - 0.5
    assert not manager.resubscribe_if_deaf()
    manager._subscribed = now - 10.0  # subscribed long ago and still deaf
    assert manager.resubscribe_if_deaf()


@pytest.mark.redis
def test_a_subscription_that_hears_nothing_is_renewed_by_the_heartbeat(
        caplog: pytest.LogCaptureFixture) -> None:
    """The connection stays open and fails nothing, but nothing published reaches the
    listener any more. Within a few heartbeats the subscription is closed and made again,
    and heartbeats are heard again; a queue that hears them is left alone."""
    require_redis()
    proxy = StallingProxy(REDIS_URL)
    with beating_through(proxy) as manager:
        assert not manager.resubscribe_if_deaf()
        proxy.stall()
        deaf_then_hearing(manager, 5)
        assert "subscribing to it again" in caplog.text
        # Healthy again: /health's condition, waited for (a fixed 0.3 s, three beats of
        # 0.1 s, failed once when a loaded machine held the beating thread that long).
        until(lambda: manager.state().problem() is None, 5,
              f"heard again but still counted as broken: {manager.state()}")


@pytest.mark.redis
def test_a_broadcast_to_a_redis_that_stopped_answering_fails_in_time_and_is_sent_again(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every open connection to Redis stalls: requests and replies are held, nothing is
    closed. A broadcast waits at most the publish time limit, is sent again on a new
    connection and reaches Redis; the heartbeat goes on being published and heard.

    The broadcast's first attempt is held on whichever connection it takes: the beating
    thread may hold the pool's open connection at that moment, and the broadcast then opens
    a new one (under load the broadcast went through on it, untested, and the test failed)."""
    require_redis()
    monkeypatch.setattr(heartbeat, "PUBLISH_TIMEOUT", 0.5)
    proxy = StallingProxy(REDIS_URL)
    marker = f"room-{secrets.token_hex(6)}"
    with beating_through(proxy) as manager:
        # Subscribed straight to Redis, not through the proxy: it sees what Redis received.
        with contextlib.closing(redis.Redis.from_url(REDIS_URL).pubsub(
                ignore_subscribe_messages=True)) as watcher:
            watcher.subscribe(manager.channel)
            proxy.hold_first(marker.encode())
            proxy.stall_everything()
            sent = threading.Event()

            def broadcast() -> None:
                manager.emit("live:change", {"seq": 1}, namespace="/", room=marker)
                sent.set()

            threading.Thread(target=broadcast, daemon=True).start()
            assert sent.wait(5), "a broadcast still waits for a Redis that stopped answering"
            assert "Cannot publish to redis" in caplog.text
            until(lambda: reached(watcher, marker), 5,
                  "the broadcast sent again never reached Redis")
        deaf_then_hearing(manager, 8)


def reached(watcher: Any, marker: str) -> bool:
    """Whether a message carrying ``marker`` reached ``watcher``'s subscription by now."""
    while (message := watcher.get_message(timeout=0.05)) is not None:
        if marker.encode() in message["data"]:
            return True
    return False


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
