"""Two server processes over one Redis queue: members on either process see every change,
and after Redis restarts mid-stream every process subscribes again and every client ends up
with every change exactly once (the database is the source of truth; the quiet-time sync
fetches what was broadcast while Redis was down). docs/deploy.md, "When Redis restarts".
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from realtime import heartbeat
from realtime.heartbeat import HeartbeatRedisManager
from tests.support.asyncio_thread import run_async
from tests.support.live import MACHINE_SPEED_ENV, LiveServer, ServerFactory, free_port
from tests.support.live_socket import Member
from tests.support.live_swarm import Room
from tests.support.services import require_program

HEARTBEAT = 0.3  # seconds between the queue heartbeats of the test servers
OUTAGE = 3.0  # seconds Redis stays down
RESUBSCRIBE_WITHIN = 4.0  # seconds after Redis is back (python-socketio alone: up to 60)


class RedisServer:
    """A private redis-server, stopped and started again on the same port."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.folder = binary, folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.05)
            pytest.fail("the test's redis-server did not start")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=5)

    def subscribers(self, channel: str) -> int:
        client = redis.Redis.from_url(self.url)
        try:
            return int(client.pubsub_numsub(channel)[0][1])
        finally:
            client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(require_program("redis-server", "apt-get install redis-server"),
                         tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def health(server: LiveServer) -> tuple[int, dict[str, Any]]:
    response = requests.get(f"{server.url}/health", timeout=5)
    return response.status_code, response.json()


async def keep_editing(room: Room, name: str, stop: asyncio.Event) -> int:
    """Add agenda items one after another until ``stop``; how many were acknowledged."""
    made = 0
    while not stop.is_set():
        await room.change(name, "live:agenda_add", title=f"{name} {made}")
        made += 1
        await asyncio.sleep(0.02)
    return made


def versions_seen(observer: Member) -> list[int]:
    """The ``live:changed`` versions a plain socket received so far, in arrival order."""
    seen = []
    while not observer.events.empty():
        event, data = observer.events.get_nowait()
        if event == "live:changed":
            seen.append(int(data["version"]))
    return seen


@pytest.mark.live
@pytest.mark.redis
def test_two_processes_over_redis_lose_nothing_across_a_redis_restart(
        live_server_factory: ServerFactory, own_redis: RedisServer) -> None:
    channel = f"circles-redis-{secrets.token_hex(6)}"
    env = {"SOCKETIO_MESSAGE_QUEUE": own_redis.url, "FLASK_SOCKETIO_CHANNEL": channel,
           "FLASK_SOCKETIO_HEARTBEAT_SECONDS": str(HEARTBEAT),
           "FLASK_SIGNUP_RATE_LIMIT": "100 per minute", **MACHINE_SPEED_ENV}
    a, b = live_server_factory(**env), live_server_factory(**env)
    room = Room({"ada": a, "ben": a, "cy": b, "di": b}, sync_interval=1.0)
    # A plain socket on B with no catching up of its own: what it gets came through Redis.
    observer = Member(b, room.clients["di"].cookie)

    async def edits_from_both(seconds: float) -> None:
        stop = asyncio.Event()
        writers = [asyncio.ensure_future(keep_editing(room, name, stop)) for name in ("ada", "cy")]
        await asyncio.sleep(seconds)
        stop.set()
        assert all(await asyncio.gather(*writers))

    async def scenario() -> None:
        await room.connect()
        observer.connect()
        try:
            joined = observer.call("live:join", {"session_id": room.session_id})["version"]
            assert own_redis.subscribers(channel) == 2
            await edits_from_both(1.0)
            await room.until(room.caught_up, "saw every change over Redis")
            # Each side's changes reached the other side's sockets as broadcasts.
            before_restart = room.version()
            await room.until(lambda: before_restart in observer_seen(),
                             "the observer heard every change")
            # Every change exactly once. Not necessarily in order: a change committed just
            # after another may be published first (clients hold such arrivals back).
            assert sorted(v for v in observer_seen() if v > joined) == list(
                range(joined + 1, before_restart + 1))

            # Redis restarts in the middle of the stream; changes keep being made (and
            # committed) on both processes while it is down, their broadcasts lost.
            stop = asyncio.Event()
            writers = [asyncio.ensure_future(keep_editing(room, name, stop))
                       for name in ("ada", "cy")]
            await asyncio.sleep(0.3)
            await asyncio.to_thread(own_redis.stop)
            assert (await asyncio.to_thread(health, a))[0] == 503
            await asyncio.sleep(OUTAGE)
            down_until = room.version()
            await asyncio.to_thread(own_redis.start)
            await room.until(lambda: own_redis.subscribers(channel) == 2,
                             "both processes subscribed again", within=RESUBSCRIBE_WITHIN)
            resubscribed = room.version()  # changes after this one are broadcast to both
            for server in (a, b):
                await room.until(lambda s=server: health(s)[0] == 200,
                                 f"{server.url} healthy again")
            await asyncio.sleep(0.3)
            stop.set()
            assert all(await asyncio.gather(*writers))

            await edits_from_both(0.5)  # and after it, broadcasts over Redis again
            await room.until(room.caught_up, "caught up after the Redis restart")
            room.assert_every_view_is_the_log()
            last = room.version()
            await room.until(lambda: last in observer_seen(), "the observer heard the last")
            missed = set(range(before_restart + 1, last + 1)) - set(observer_seen())
            assert set(range(before_restart + 1, down_until + 1)) & missed, \
                "no broadcast was lost while Redis was down: the test proved nothing"
            assert max(missed) <= resubscribed, "a broadcast was lost after resubscribing"
        finally:
            observer.disconnect()
            await room.close()

    heard: list[int] = []

    def observer_seen() -> list[int]:
        heard.extend(versions_seen(observer))
        return heard

    run_async(scenario())


# --- subscribing again, without a Redis server ----------------------------------------------


class FakePubSub:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        self.closed = False

    def subscribe(self, _channel: str) -> None:
        pass

    def listen(self) -> Iterator[dict[str, Any]]:
        yield from self.messages

    def close(self) -> None:
        self.closed = True


def test_the_queue_listener_tries_again_at_least_every_2_seconds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """python-socketio doubles its pause up to 60 s, so a process could go on missing the
    others' broadcasts for a minute after Redis is back; ours stops doubling at 2 s."""
    manager = HeartbeatRedisManager("redis://127.0.0.1:1/0", channel="c", interval=1.0)
    attempts = iter([True] * 7 + [False])
    pauses: list[float] = []
    monkeypatch.setattr(heartbeat.time, "sleep", pauses.append)
    message = {"channel": b"c", "type": "message", "data": b"hello"}

    def connect() -> None:
        if next(attempts):
            raise redis.ConnectionError("Connection refused")
        manager.pubsub = FakePubSub([message])

    monkeypatch.setattr(manager, "_redis_connect", connect)
    listener = manager._redis_listen_with_retries()
    assert next(listener) == message
    assert pauses == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    broken = manager.pubsub
    attempts = iter([False])
    assert next(listener) == message  # the subscription ended: subscribed again, from 0.25 s
    assert pauses[-1] == 0.25 and broken.closed
