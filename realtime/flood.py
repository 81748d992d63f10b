"""Flood control: token buckets per socket and per member, checked before any database work.

Every member event passes ``screen()`` first (from ``acks.acked``). A socket over its rate
gets an error ack; one that keeps going (``SOCKETIO_FLOOD_CUTOFF`` refused events within one
second) is disconnected and logged as the security event ``socket_flood``. A socket's bucket
lives in its WSGI environ, which the Socket.IO server drops on disconnect; members' buckets
are kept per process, so with several processes a member's limit applies in each of them.

Connects are limited per client address (``admit_connect()``, the first thing the connect
handler does): ``SOCKETIO_CONNECT_BURST`` at once, refilled at ``SOCKETIO_CONNECT_RATE`` per
second, per process. The address is ``request.remote_addr``, the same key as the login
limit: behind a proxy without ``ProxyFix`` it is the proxy's, so the limit is shared by all
clients — the defaults let a whole deployment's clients reconnect after a restart.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from flask import Flask, current_app, request
from flask_socketio import disconnect

from circles.redaction import pseudonym
from circles.security_log import security_event
from realtime.words import N_, say

EXTENSION = "circles.flood"
ENVIRON_KEY = "circles.flood.socket"
CONNECTS = "circles.flood.connects"
TOO_FAST = N_("You are sending too fast; wait a moment and try again.")
TOO_MANY_CONNECTS = N_("Too many connection attempts; wait a moment and try again.")
COOLING_DOWN = N_("You were disconnected for sending too fast; you can reconnect in "
                  "%(seconds)s s.")
PRUNE_AT = 1024  # member buckets kept before idle (full) ones are dropped


@dataclass
class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` per second; each event takes one."""

    rate: float
    burst: float
    stamp: float
    tokens: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + max(now - self.stamp, 0.0) * self.rate)
        self.stamp = max(now, self.stamp)

    def take(self, now: float) -> bool:
        """Take one token if there is one; ``False`` means the event is over the limit."""
        self.refill(now)
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def idle(self, now: float) -> bool:
        """Full again: forgetting this bucket changes nothing."""
        self.refill(now)
        return self.tokens >= self.burst


@dataclass(frozen=True)
class Limits:
    per_socket: tuple[float, float]  # (rate per second, burst)
    per_member: tuple[float, float]
    cutoff: int  # refused events within one second that get a socket disconnected
    cooldown: float = 0.0  # seconds a member who was cut off may not reconnect (per process)

    @classmethod
    def from_config(cls, app: Flask) -> Limits:
        config = app.config
        return cls(per_socket=(float(config["SOCKETIO_RATE_PER_SID"]),
                               float(config["SOCKETIO_BURST_PER_SID"])),
                   per_member=(float(config["SOCKETIO_RATE_PER_MEMBER"]),
                               float(config["SOCKETIO_BURST_PER_MEMBER"])),
                   cutoff=int(config["SOCKETIO_FLOOD_CUTOFF"]),
                   cooldown=float(config["SOCKETIO_FLOOD_COOLDOWN"]))


@dataclass
class SocketAllowance:
    """One socket's bucket, its member and its refusals in the current one-second window."""

    bucket: TokenBucket
    member_id: int | None = None
    window_start: float = 0.0
    refused: int = 0
    cut_off: bool = False


class Verdict(Enum):
    PASS = "pass"
    REFUSE = "refuse"
    CUT_OFF = "cut_off"  # refuse and disconnect (reported once per socket)


class FloodGuard:
    """The buckets of one process; thread-safe (threading mode runs events concurrently)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._lock = threading.Lock()
        self._members: dict[int, TokenBucket] = {}
        self._cooling: dict[int, float] = {}  # member → when they may connect again

    def cooling_down(self, member_id: int) -> float:
        """Seconds before a member who was cut off for flooding may connect again (0: now)."""
        with self._lock:
            until = self._cooling.get(member_id, 0.0)
            left = until - self.clock()
            if left <= 0:
                self._cooling.pop(member_id, None)
                return 0.0
            return left

    def new_socket(self, member_id: int | None = None) -> SocketAllowance:
        rate, burst = self.limits.per_socket
        return SocketAllowance(TokenBucket(rate, burst, self.clock()), member_id)

    def check(self, allowance: SocketAllowance) -> Verdict:
        """Take a token from the socket's bucket and then its member's, or count a refusal."""
        with self._lock:
            now = self.clock()
            if allowance.bucket.take(now) and self._member_bucket(allowance, now):
                return Verdict.PASS
            if now - allowance.window_start >= 1.0:
                allowance.window_start, allowance.refused = now, 0
            allowance.refused += 1
            if allowance.refused >= self.limits.cutoff and not allowance.cut_off:
                allowance.cut_off = True
                if allowance.member_id is not None and self.limits.cooldown > 0:
                    if len(self._cooling) >= PRUNE_AT:
                        self._cooling = {m: t for m, t in self._cooling.items() if t > now}
                    self._cooling[allowance.member_id] = now + self.limits.cooldown
                return Verdict.CUT_OFF
            return Verdict.REFUSE

    def _member_bucket(self, allowance: SocketAllowance, now: float) -> bool:
        if allowance.member_id is None:
            return True
        bucket = self._members.get(allowance.member_id)
        if bucket is None:
            if len(self._members) >= PRUNE_AT:
                self._members = {m: b for m, b in self._members.items() if not b.idle(now)}
            rate, burst = self.limits.per_member
            bucket = self._members[allowance.member_id] = TokenBucket(rate, burst, now)
        return bucket.take(now)


class ConnectGate:
    """A token bucket per client address for Socket.IO connects; thread-safe."""

    def __init__(self, rate: float, burst: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._refused: dict[str, int] = {}

    def admit(self, address: str) -> int:
        """Take a token for a connect from ``address``: 0 when admitted, else how many of its
        connects were refused in a row (this one included)."""
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(address)
            if bucket is None:
                if len(self._buckets) >= PRUNE_AT:
                    self._buckets = {a: b for a, b in self._buckets.items() if not b.idle(now)}
                    self._refused = {a: n for a, n in self._refused.items()
                                     if a in self._buckets}
                bucket = self._buckets[address] = TokenBucket(self.rate, self.burst, now)
            if bucket.take(now):
                self._refused.pop(address, None)
                return 0
            refused = self._refused[address] = self._refused.get(address, 0) + 1
            return refused


def init_app(app: Flask) -> FloodGuard:
    guard = FloodGuard(Limits.from_config(app))
    app.extensions[EXTENSION] = guard
    rate, burst = (float(app.config["SOCKETIO_CONNECT_RATE"]),
                   float(app.config["SOCKETIO_CONNECT_BURST"]))
    app.extensions.pop(CONNECTS, None)
    if rate > 0 and burst > 0:
        app.extensions[CONNECTS] = ConnectGate(rate, burst)
    return guard


def admit_connect() -> bool:
    """Let a Socket.IO connect through, or refuse it (logged) when its address is over the
    connect limit; reads no database."""
    gate: ConnectGate | None = current_app.extensions.get(CONNECTS)
    if gate is None:
        return True
    address = request.remote_addr or "unknown"
    refused = gate.admit(address)
    if refused == 0:
        return True
    if refused in (1, 10) or refused % 100 == 0:  # a storm is logged, not every attempt
        current_app.logger.warning(
            "socket_connect_flood: refused a connect from %s (%d refused in a row; limit "
            "%g per second, burst %g)", address, refused, gate.rate, gate.burst)
    return False


def _allowance(guard: FloodGuard) -> SocketAllowance:
    allowance: SocketAllowance | None = request.environ.get(ENVIRON_KEY)
    if allowance is None:
        allowance = request.environ[ENVIRON_KEY] = guard.new_socket()
    return allowance


def cooldown_left(member_id: int) -> int:
    """Whole seconds before ``member_id``, cut off for flooding, may connect again (0: now);
    reads no database."""
    guard: FloodGuard | None = current_app.extensions.get(EXTENSION)
    if guard is None:
        return 0
    return math.ceil(guard.cooling_down(member_id))


def remember_member(member_id: int) -> None:
    """On connect: this socket's events also count against ``member_id``'s bucket."""
    guard: FloodGuard | None = current_app.extensions.get(EXTENSION)
    if guard is not None:
        _allowance(guard).member_id = member_id


def screen() -> str | None:
    """Let the current socket event through (``None``) or say why not; reads no database."""
    guard: FloodGuard | None = current_app.extensions.get(EXTENSION)
    sid = getattr(request, "sid", None)
    if guard is None or sid is None:  # not a socket event (a unit test of a handler)
        return None
    allowance = _allowance(guard)
    verdict = guard.check(allowance)
    if verdict is Verdict.PASS:
        return None
    if verdict is Verdict.CUT_OFF:
        # The socket by a pseudonym: a sid is never written to a log (docs/security.md).
        security_event("socket_flood", user=allowance.member_id, socket=pseudonym(sid),
                       refused_within_1s=allowance.refused)
        disconnect()
    return say(TOO_FAST)
