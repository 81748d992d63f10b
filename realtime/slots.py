"""Socket slots: how many sockets one member, and one login, may hold open at once, counted
across every server process.

Each accepted socket takes one slot of its member and one of its login (the browser it was
opened from); its disconnect gives both back. A connect over either cap
(``SOCKETIO_MAX_SOCKETS_PER_MEMBER`` / ``SOCKETIO_MAX_SOCKETS_PER_LOGIN``, default 10 each,
0: no cap) is refused with a ``connect_error`` saying so. A socket that closes while its
connect is still being handled gets no disconnect call: the connect handler then gives its
slots back itself (``still_connected``). Without the cap one account opened 120 sockets in
1.5 s and took a server from 7 to 488 threads (threading mode spends a few threads on every
socket).

Where the counts live: with a Redis queue (several processes) in Redis, the cheapest shared
place that is already there — one hash per process (``<SOCKETIO_CHANNEL>:sockets:<process>``,
fields ``member:<id>`` and ``login:<sha-256>``, never the token) and a set naming those
hashes. A Lua script sums every live process's hash and takes the slot in one atomic step,
so two processes cannot both admit the 11th socket. Each process renews its hash's expiry
on every ``LIVE_PROCESS_BEAT`` (3 beats, as for the process rows in the database), so the
slots of a process that died with ``kill -9`` free themselves within 3 beats; a clean exit
deletes its hash at once. Without a queue there is one process and the counts stay in it.

While Redis does not answer, a process still enforces the caps on its own sockets (its
local tally) and logs ``socket_slots_unavailable``. Every beat writes the process's hash
again from that tally, which repairs a hash that expired while the process was paused for 3
beats, and slots taken or given back while Redis was away.
"""

from __future__ import annotations

import atexit
import os
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app, request
from flask_socketio import SocketIO

from realtime.rooms import login_room, member_room
from realtime.words import N_, say

EXTENSION = "circles.slots"
ENVIRON_KEY = "circles.slots.taken"  # the fields a socket took, for its disconnect
TOO_MANY_FOR_MEMBER = N_("You have %(cap)s live connections open already, the most one member "
                        "can have. Close a Circles tab or window you no longer need, then "
                        "reload this page.")
TOO_MANY_FOR_LOGIN = N_("This browser has %(cap)s live connections open already, the most one "
                       "login can have. Close a Circles tab you no longer need, then reload "
                       "this page.")
STALE_BEATS = 3

# KEYS: the set of process hashes, this process's hash. ARGV: member field, login field,
# member cap, login cap (0: none), expiry in ms. Returns 0 (taken), 1 (member) or 2 (login).
TAKE = """
local member, login = 0, 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', key) == 1 then
    local counts = redis.call('HMGET', key, ARGV[1], ARGV[2])
    member = member + (tonumber(counts[1]) or 0)
    login = login + (tonumber(counts[2]) or 0)
  else
    redis.call('SREM', KEYS[1], key)
  end
end
if tonumber(ARGV[3]) > 0 and member >= tonumber(ARGV[3]) then return 1 end
if tonumber(ARGV[4]) > 0 and login >= tonumber(ARGV[4]) then return 2 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('SADD', KEYS[1], KEYS[2])
return 0
"""
# KEYS: this process's hash. ARGV: the fields to give back one slot of each.
GIVE_BACK = """
for _, field in ipairs(ARGV) do
  if redis.call('HINCRBY', KEYS[1], field, -1) <= 0 then redis.call('HDEL', KEYS[1], field) end
end
"""


@dataclass(frozen=True)
class Caps:
    member: int
    login: int

    @classmethod
    def from_config(cls, app: Flask) -> Caps:
        return cls(member=int(app.config["SOCKETIO_MAX_SOCKETS_PER_MEMBER"]),
                   login=int(app.config["SOCKETIO_MAX_SOCKETS_PER_LOGIN"]))

    def refusal(self, member: int, login: int) -> str | None:
        """Why one more socket is refused when ``member`` and ``login`` are open already."""
        if self.member > 0 and member >= self.member:
            return say(TOO_MANY_FOR_MEMBER, cap=self.member)
        if self.login > 0 and login >= self.login:
            return say(TOO_MANY_FOR_LOGIN, cap=self.login)
        return None


@dataclass(frozen=True)
class Slot:
    """What one socket took: a slot of its member and of its login (their room names)."""

    member: str
    login: str
    shared: bool  # counted in Redis too (False: no queue, or Redis did not answer)


class SocketSlots:
    """This process's slots: its own tally, and with Redis the shared counts; thread-safe."""

    def __init__(self, caps: Caps, *, url: str | None = None, channel: str = "flask-socketio",
                 beat: float = 10.0) -> None:
        self.caps = caps
        self.beat = beat if beat > 0 else 10.0
        self.expiry_ms = max(1, round(STALE_BEATS * self.beat * 1000))
        self.index = f"{channel}:sockets"
        self.key = f"{self.index}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # Short timeouts: a connect waits for Redis, and a Redis that vanished must not hold
        # every connect of the process (it then counts its own sockets, see take()).
        self.redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0) \
            if url else None
        self._take = self.redis.register_script(TAKE) if self.redis else None
        self._give_back = self.redis.register_script(GIVE_BACK) if self.redis else None
        self._lock = threading.Lock()
        self._tally: Counter[str] = Counter()  # this process's open sockets, per field
        self._renewing = False

    def take(self, member: str, login: str) -> Slot | str:
        """Take a slot of ``member`` and of ``login`` (their room names), or say why not.

        The lock is held over the Redis round trip (well under a millisecond), so this
        process's hash in Redis always equals its tally and a beat can rewrite it exactly.
        """
        with self._lock:
            answered, refusal = self._take_shared(member, login)
            if not answered:  # no queue, or Redis did not answer: this process's count decides
                refusal = self.caps.refusal(self._tally[member], self._tally[login])
            if refusal is not None:
                return refusal
            self._tally.update((member, login))
            return Slot(member, login, shared=answered)

    def _take_shared(self, member: str, login: str) -> tuple[bool, str | None]:
        """Redis's verdict over every process (taking the slot when there is room):
        ``(answered, refusal)``."""
        if self._take is None:
            return False, None
        try:
            verdict = int(self._take(keys=[self.index, self.key], args=[
                member, login, self.caps.member, self.caps.login, self.expiry_ms]))
        except redis.RedisError:
            current_app.logger.exception("socket_slots_unavailable: counting this process only")
            return False, None
        if verdict == 1:
            return True, say(TOO_MANY_FOR_MEMBER, cap=self.caps.member)
        if verdict == 2:
            return True, say(TOO_MANY_FOR_LOGIN, cap=self.caps.login)
        return True, None

    def give_back(self, slot: Slot) -> None:
        """The socket that took ``slot`` closed."""
        with self._lock:
            self._tally.subtract((slot.member, slot.login))
            self._tally = +self._tally  # drop fields at zero
            if slot.shared and self._give_back is not None:
                try:
                    self._give_back(keys=[self.key], args=[slot.member, slot.login])
                except redis.RedisError:  # the next beat writes the tally again
                    current_app.logger.exception("socket_slots_unavailable: slot not freed")

    def open_sockets(self, field: str) -> int:
        """This process's open sockets of one member or login (a room name)."""
        with self._lock:
            return self._tally[field]

    def renew(self) -> None:
        """One beat: write this process's tally as its hash, with a fresh expiry.

        Writing it whole (not only extending it) repairs whatever went astray: a hash that
        expired while the process was paused for 3 beats, a slot Redis missed while down.
        """
        if self.redis is None:
            return
        with self._lock, self.redis.pipeline() as pipe:  # MULTI … EXEC
            pipe.delete(self.key)
            if self._tally:
                mapping: dict[Any, Any] = dict(self._tally)  # redis-py types keys invariantly
                pipe.hset(self.key, mapping=mapping)
                pipe.pexpire(self.key, self.expiry_ms)
                pipe.sadd(self.index, self.key)
            pipe.execute()

    def start(self, app: Flask, socketio: SocketIO) -> None:
        """From the first socket on (after any fork), renew the counts every beat and free
        them on a clean exit; once."""
        with self._lock:
            if self._renewing or self.redis is None:
                return
            self._renewing = True
        atexit.register(self.close)
        socketio.start_background_task(self._renew_forever, app)

    def _renew_forever(self, app: Flask) -> None:
        while True:
            try:
                self.renew()
            except redis.RedisError:
                app.logger.exception("socket_slots_unavailable: counts not renewed")
            time.sleep(self.beat)

    def close(self) -> None:
        """On a clean exit: free every slot this process held, at once."""
        if self.redis is not None:
            try:
                with self.redis.pipeline() as pipe:
                    pipe.delete(self.key)
                    pipe.srem(self.index, self.key)
                    pipe.execute()
            except redis.RedisError:
                pass  # they expire within 3 beats anyway


def init_app(app: Flask) -> SocketSlots:
    """Give ``app`` its slots: shared through Redis when the queue is Redis, else local."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    slots = SocketSlots(Caps.from_config(app),
                        url=str(url) if url and str(url).startswith(("redis://", "rediss://"))
                        else None,
                        channel=app.config.get("SOCKETIO_CHANNEL") or "flask-socketio",
                        beat=float(app.config["LIVE_PROCESS_BEAT"]))
    app.extensions[EXTENSION] = slots
    return slots


def take(member_id: int, token: str) -> str | None:
    """On connect: take this socket's slots (kept in its environ for the disconnect), or
    return the refusal to send."""
    slots: SocketSlots = current_app.extensions[EXTENSION]
    if not current_app.testing:  # unit tests' apps come and go: no thread, no exit hook
        slots.start(current_app._get_current_object(),  # type: ignore[attr-defined]
                    current_app.extensions["socketio"])
    taken = slots.take(member_room(member_id), login_room(token))
    if isinstance(taken, str):
        return taken
    request.environ[ENVIRON_KEY] = taken
    return None


def give_back() -> None:
    """On disconnect (or a connect that failed after taking them): free the socket's slots."""
    slot: Slot | None = request.environ.pop(ENVIRON_KEY, None)
    if slot is not None:
        current_app.extensions[EXTENSION].give_back(slot)


def still_connected() -> bool:
    """Whether the socket being connected is still open. A page that goes away at once
    closes it while its connect handler runs, and python-socketio calls no disconnect
    handler for a socket still connecting: the connect handler frees the slots itself."""
    server = current_app.extensions["socketio"].server
    sid, namespace = request.sid, request.namespace or "/"  # type: ignore[attr-defined]
    eio_sid = server.manager.eio_sid_from_sid(sid, namespace)
    engine_socket = server.eio.sockets.get(eio_sid) if eio_sid is not None else None
    return engine_socket is not None and not (engine_socket.closing or engine_socket.closed)
