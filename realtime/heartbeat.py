"""A heartbeat through the Socket.IO Redis queue, so a process can tell that it still hears it.

Every process publishes a small ``circles_heartbeat`` message on the queue's channel every
``SOCKETIO_HEARTBEAT_SECONDS`` and records when it last *received* one (its own included).
A process whose subscription broke (Redis restarted, the connection killed, a network split)
stops receiving them, which ``/health`` reports as degraded: such a process would silently
miss every broadcast made by the others. The beating thread also acts on it: a subscription
that has heard nothing for twice that long is closed, so the listener subscribes
again (whatever silenced it: a connection that stays open but delivers nothing heals within
a few intervals instead of at the next restart). A publish waits at most
``PUBLISH_TIMEOUT`` for Redis, then is tried once more on a new connection, so a Redis that
stops answering holds no broadcast, and no heartbeat, for ever. Other processes ignore the
message (its ``method`` is none of python-socketio's), so it is safe beside older versions.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis
import socketio

METHOD = "circles_heartbeat"
STALE_AFTER = 3  # intervals without a received heartbeat before the queue counts as broken
RESUBSCRIBE_MAX = 2.0  # seconds: the longest pause between attempts to subscribe again
#: Seconds a publish (every broadcast, and the heartbeat) may wait for Redis before it fails and
#: is tried once more on a new connection; a healthy Redis answers in well under a millisecond.
PUBLISH_TIMEOUT = 5.0


@dataclass(frozen=True)
class HeartbeatState:
    """What ``/health`` shows: seconds since this process started listening, last received
    and last published a heartbeat (``None``: not yet)."""

    interval: float
    listening_for: float | None
    received_ago: float | None
    published_ago: float | None

    @property
    def silent_for(self) -> float | None:
        """Seconds without a heartbeat heard (since listening began, before the first one)."""
        return self.received_ago if self.received_ago is not None else self.listening_for

    def problem(self) -> str | None:
        """Why the queue counts as broken, or ``None`` while heartbeats keep arriving."""
        silent_for = self.silent_for
        if silent_for is None or silent_for <= STALE_AFTER * self.interval:
            return None
        return (f"no heartbeat received through the message queue for {silent_for:.1f} s "
                f"(one is published every {self.interval:g} s): this process is missing "
                "broadcasts from the others")


class HeartbeatRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, plus the heartbeat and a ``ping`` for ``/health``."""

    def __init__(self, url: str, *, channel: str, interval: float) -> None:
        super().__init__(url, channel=channel)
        self.interval = interval
        self._started: float | None = None
        self._received: float | None = None
        self._published: float | None = None
        self._start_lock = threading.Lock()
        self._probe: redis.Redis | None = None
        self._listening: Any = None  # the pubsub the listener reads, whatever self.pubsub is
        self._subscribed: float | None = None  # when the listener last subscribed
        self._kicked: float | None = None
        self._closed = threading.Event()

    def initialize(self) -> None:
        """Start listening (and beating) once, whether a socket or a request comes first."""
        if self._started is not None:  # the common case, on every request: no lock
            return
        with self._start_lock:
            if self._started is not None:
                return
            self._started = time.monotonic()
        super().initialize()
        self.server.start_background_task(self._beat_forever)

    def _redis_connect(self) -> None:
        """python-socketio's connection, with a time limit on publishing: a Redis that stops
        answering (a stalled network path, a frozen server) would otherwise hold the thread
        of every broadcast, and the heartbeat's, for ever. The subscription waits for
        messages by design, so it reads without a limit, through a pool of its own."""
        self.redis = redis.Redis.from_url(self.redis_url, socket_timeout=PUBLISH_TIMEOUT,
                                          socket_connect_timeout=PUBLISH_TIMEOUT)
        listener = redis.Redis.from_url(self.redis_url, socket_connect_timeout=PUBLISH_TIMEOUT)
        self.pubsub = listener.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    def _beat_forever(self) -> None:
        while not self._closed.is_set():
            self.beat()
            self.resubscribe_if_deaf()
            self._closed.wait(self.interval)

    def close(self) -> None:
        """Stop beating and listening, for a manager that is done with before its process
        ends (a test's); the listener's thread then ends with python-socketio's complaint
        that it exited."""
        self._closed.set()
        connection = getattr(self._listening, "connection", None)
        if connection is not None:
            connection.disconnect()  # the listener's blocked read fails, and it returns

    def resubscribe_if_deaf(self) -> bool:
        """Close the listener's subscription when no heartbeat came through it for twice
        the time that makes ``/health`` degraded (and at least ``RESUBSCRIBE_MAX``: a
        subscription that is only slow keeps what it is delivering), at most once per that
        time plus ``RESUBSCRIBE_MAX``; the listener then subscribes again. A subscription
        made since is given that long to hear its first heartbeat: the silence before it
        (Redis down, say) is not its own, and closing it would lose the broadcasts of the
        moment it takes to subscribe again. Returns whether it did."""
        silent_for = self.state().silent_for
        deaf_after = max(2 * STALE_AFTER * self.interval, RESUBSCRIBE_MAX)
        now = time.monotonic()
        if self._subscribed is not None and silent_for is not None:
            silent_for = min(silent_for, now - self._subscribed)
        if silent_for is None or silent_for <= deaf_after or (
                self._kicked is not None and now - self._kicked < deaf_after + RESUBSCRIBE_MAX):
            return False
        self._kicked = now
        self._get_logger().error("No heartbeat heard through the message queue for %.1f s: "
                                 "subscribing to it again", silent_for)
        connection = getattr(self._listening, "connection", None)
        if connection is not None:
            connection.disconnect()  # the listener's blocked read fails, and it retries
        return True

    def beat(self) -> None:
        """Publish one heartbeat (a failed publish is logged by the manager)."""
        sent = self._publish({"method": METHOD, "host_id": self.host_id, "pid": os.getpid()})
        if sent is not None:
            self._published = time.monotonic()

    def _redis_listen_with_retries(self) -> Iterator[Any]:
        """python-socketio's subscription loop, with the pause between attempts to subscribe
        again capped at ``RESUBSCRIBE_MAX`` seconds instead of its 60: after a Redis outage
        of any length, this process hears the others again within about 2 s of Redis being
        back (the pause doubles from 0.25 s, so a flapping Redis is not hammered)."""
        pause = 0.25
        while not self._closed.is_set():
            try:
                if self._listening is not None:
                    self._listening.close()  # the broken subscription's connection
                # A publish that found the manager disconnected connects it again, and
                # replaces ``self.pubsub`` at any moment: the listener keeps its own.
                self._redis_connect()
                pubsub: Any = self.pubsub
                self._listening = pubsub
                pubsub.subscribe(self.channel)
                self._subscribed = time.monotonic()
                pause = 0.25
                yield from pubsub.listen()
                problem = "the subscription ended"
            except (redis.RedisError, OSError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if self._closed.is_set():
                return
            self._get_logger().error("Cannot receive from redis (%s)... retrying in %s secs",
                                     problem, pause)
            time.sleep(pause)
            pause = min(pause * 2, RESUBSCRIBE_MAX)

    def _listen(self) -> Iterator[Any]:
        """The queue's messages on this channel, heartbeats taken out (python-socketio's, less
        its unsubscribing at the end: the subscription ends only by ``close``)."""
        channel = self.channel.encode()
        for received in self._redis_listen_with_retries():
            if received["channel"] != channel or received["type"] != "message" \
                    or "data" not in received:
                continue
            message = received["data"]
            if isinstance(message, bytes) and METHOD.encode() in message:
                try:
                    if json.loads(message).get("method") == METHOD:
                        self._received = time.monotonic()
                        continue
                except ValueError:
                    pass
            yield message

    def state(self) -> HeartbeatState:
        now = time.monotonic()

        def ago(moment: float | None) -> float | None:
            return None if moment is None else round(now - moment, 3)

        return HeartbeatState(self.interval, ago(self._started), ago(self._received),
                              ago(self._published))

    def ping(self) -> float:
        """Milliseconds a Redis ``PING`` takes; raises ``redis.RedisError`` when it fails."""
        if self._probe is None:
            self._probe = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1,
                                               socket_timeout=1)
        start = time.perf_counter()
        self._probe.ping()
        return round((time.perf_counter() - start) * 1000, 2)
