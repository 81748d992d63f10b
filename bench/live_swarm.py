"""The load benchmark's swarm: members that connect, send persisted changes at a Poisson
rate, and record when every change reaches every other member of its room.

Two kinds of member share one driver: ``AppMember`` (``realtime.client.LiveClient`` in a
Circles live session) and ``RelayMember`` (a bare python-socketio client of
``bench/live_relay.py``). Fan-out latency is receipt time at each other member minus the
sender's send time, both ``time.monotonic()`` in this one process.
"""

from __future__ import annotations

import asyncio
import random
import string
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import socketio

from bench.live_mix import SessionMix, narrow
from realtime.client import LiveClient, LiveError

FILLER = string.ascii_lowercase + "      "


def filler(rng: random.Random) -> str:
    """A contribution-like sentence of 40–400 characters."""
    return "".join(rng.choices(FILLER, k=rng.randint(40, 400))).strip() or "thanks"


class Recorder:
    """Sends (room, version) → (send time, sender, kind) and each other member's receipt
    time; latencies are kept in all and by kind of change."""

    def __init__(self) -> None:
        self.since = float("inf")  # only sends at or after this count (set when measuring)
        self.sends: dict[tuple[int, int], tuple[float, int, str]] = {}
        self.waiting: defaultdict[tuple[int, int], list[tuple[int, float]]] = \
            defaultdict(list)
        self.sent_at = array("d")
        self.latency = array("d")
        self.ack = array("d")  # the sender's own wait for its ack
        self.by_kind: defaultdict[str, array[float]] = defaultdict(lambda: array("d"))
        self.sent_kinds: Counter[str] = Counter()  # answered changes by kind

    def acked(self, room: int, version: int, sender: int, sent: float,
              kind: str = "change") -> None:
        if sent < self.since:
            return
        self.ack.append(time.monotonic() - sent)
        self.sent_kinds[kind] += 1
        key = (room, version)
        self.sends[key] = (sent, sender, kind)
        for member, at in self.waiting.pop(key, ()):
            self._add(sent, sender, kind, member, at)

    def received(self, room: int, version: int, member: int, at: float) -> None:
        if at < self.since:
            return
        key = (room, version)
        send = self.sends.get(key)
        if send is None:
            self.waiting[key].append((member, at))
        else:
            self._add(*send, member, at)

    def _add(self, sent: float, sender: int, kind: str, member: int, at: float) -> None:
        if member != sender:
            self.sent_at.append(sent)
            self.latency.append(at - sent)
            self.by_kind[kind].append(at - sent)

    def window(self, start: float, end: float) -> list[float]:
        """Latencies (s) of the changes sent in [start, end)."""
        return [lat for at, lat in zip(self.sent_at, self.latency) if start <= at < end]


class Member(Protocol):
    index: int
    room: int

    async def connect(self) -> None: ...
    async def send(self, rng: random.Random, token: str) -> tuple[int, str]: ...
    def held(self) -> bool: ...
    async def close(self) -> None: ...


class AppMember:
    """A member in a Circles live session, through the reference client."""

    def __init__(self, index: int, url: str, cookie: str, session_id: int,
                 recorder: Recorder, *, transports: list[str] | None,
                 sync_interval: float = 15.0, reconnection: bool = True,
                 mix: SessionMix | None = None) -> None:
        self.index, self.room = index, session_id
        self.client = LiveClient(url, cookie, session_id, transports=transports,
                                 sync_interval=sync_interval, reconnection=reconnection,
                                 keep_changes=False)
        self.mix = mix  # None: the narrow mix of the first benchmark
        state = mix.room if mix is not None else None

        def applied(version: int, change: dict[str, Any], at: float) -> None:
            recorder.received(session_id, version, index, at)
            if state is not None:
                state.apply(version, change)

        self.client.on_applied = applied
        self.item_id: int | None = None
        self.agenda_share = 0.2
        self.user_id = 0  # the seat's member, set by whoever builds the swarm

    async def connect(self) -> None:
        await self.client.connect()

    async def own_item(self) -> None:
        ack = await self.client.call("live:agenda_add", {"title": f"Topic of {self.index}"})
        self.item_id = int(ack["item_id"])

    async def send(self, rng: random.Random, token: str) -> tuple[int, str]:
        """The member's next change in its mix; its version and kind."""
        if self.mix is not None:
            kind, (event, fields) = self.mix.next(rng, token)
        else:
            kind, (event, fields) = narrow(rng, token, self.item_id, self.agenda_share, filler)
        ack = await self.client.call(event, {**fields, "op_id": token})
        return int(ack["version"]), kind

    def held(self) -> bool:
        return self.client.connected and self.client.joined.is_set()

    async def close(self) -> None:
        await self.client.disconnect()


class RelayMember:
    """A bare python-socketio client of the relay, in one of its rooms."""

    def __init__(self, index: int, url: str, room: int, recorder: Recorder, *,
                 transports: list[str] | None) -> None:
        self.index, self.room, self.url, self.transports = index, room, url, transports
        self.sio = socketio.AsyncClient(reconnection=False)
        self.base = 0
        self.seen: set[int] = set()
        self.duplicates = 0

        def changed(data: dict[str, Any]) -> None:
            at, version = time.monotonic(), int(data["version"])
            if version in self.seen:
                self.duplicates += 1
                return
            self.seen.add(version)
            recorder.received(room, version, index, at)

        self.sio.on("changed", changed)

    async def connect(self) -> None:
        await self.sio.connect(self.url, transports=self.transports, wait_timeout=10)
        ack = await self.sio.call("join", {"room": self.room}, timeout=10)
        self.base = int(ack["version"])

    async def send(self, rng: random.Random, token: str) -> tuple[int, str]:
        ack = await self.sio.call("send", {"room": self.room, "kind": "checkin",
                                           "text": f"{token} {filler(rng)}"}, timeout=10)
        return int(ack["version"]), "relay"

    def held(self) -> bool:
        return bool(self.sio.connected)

    async def close(self) -> None:
        await self.sio.disconnect()


@dataclass
class Sends:
    ok: int = 0
    skipped: int = 0  # a member already had MAX_IN_FLIGHT changes unanswered
    refused: Counter[str] = field(default_factory=Counter)  # ok=false, by message
    failed: Counter[str] = field(default_factory=Counter)  # no answer, by exception
    acked_tokens: set[str] = field(default_factory=set)


MAX_IN_FLIGHT = 4


async def connect_all(members: Sequence[Member], concurrency: int = 16) -> Counter[str]:
    """Connect every member, ``concurrency`` at a time; failures by reason (kept out of the
    members that send)."""
    gate = asyncio.Semaphore(concurrency)
    failures: Counter[str] = Counter()

    async def one(member: Member) -> None:
        async with gate:
            try:
                await member.connect()
            except (TimeoutError, LiveError, socketio.exceptions.SocketIOError, OSError) as exc:
                failures[f"{type(exc).__name__}: {exc}"[:120]] += 1

    await asyncio.gather(*(one(m) for m in members))
    return failures


async def drive(members: Sequence[Member], rate: float, duration: float, recorder: Recorder,
                *, seed: int = 0, during: Callable[[], Awaitable[None]] | None = None) -> Sends:
    """Every member sends changes with exponential gaps of mean ``1/rate`` s for
    ``duration`` s (open loop: a slow answer does not slow the schedule); ``during`` runs
    beside the load (e.g. a crash at half time). Returns once every send is answered."""
    sends = Sends()
    in_flight: Counter[int] = Counter()
    tasks: set[asyncio.Task[None]] = set()
    recorder.since = start = time.monotonic()
    end = start + duration

    async def one(member: Member, rng: random.Random, token: str) -> None:
        sent = time.monotonic()
        try:
            version, kind = await member.send(rng, token)
        except LiveError as exc:
            sends.refused[exc.message[:80]] += 1
        except (TimeoutError, socketio.exceptions.SocketIOError, OSError) as exc:
            sends.failed[type(exc).__name__] += 1
        else:
            sends.ok += 1
            sends.acked_tokens.add(token)
            recorder.acked(member.room, version, member.index, sent, kind)
        finally:
            in_flight[member.index] -= 1

    async def schedule(member: Member) -> None:
        rng = random.Random(seed * 1_000_003 + member.index)
        due, n = start + rng.expovariate(rate), 0
        while due < end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if in_flight[member.index] >= MAX_IN_FLIGHT:
                sends.skipped += 1
            else:
                in_flight[member.index] += 1
                n += 1
                task = asyncio.ensure_future(one(member, rng, f"t{member.index}x{n}"))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            due += rng.expovariate(rate)

    extra = [asyncio.ensure_future(during())] if during is not None else []
    await asyncio.gather(*(schedule(m) for m in members), *extra)
    while tasks:
        await asyncio.gather(*list(tasks))
    return sends
