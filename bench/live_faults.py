"""The load benchmark's faults, each run beside the load from half (or a third of) the way:
a ``kill -9`` of the server and its restart, a Redis restart under two processes, and a
flooding socket (``bench/live_flood.py``, its own process)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from bench.live_servers import ROOT, AppServer, PrivateRedis, World
from bench.live_swarm import AppMember

REJOIN_WAIT = 60.0  # seconds the crash scenario waits for every client to be back
Fault = Callable[[World, list[AppServer], list[AppMember]], Awaitable[None]]


def crash(args: argparse.Namespace, extra: dict[str, Any]) -> Fault:
    """Half way: ``kill -9`` the (first) server, and note when each client that was on it is
    back (joined again): with ``--topology nginx`` through nginx on the other process, else
    once the server is started again on its port and database."""
    async def during(world: World, servers: list[AppServer], members: list[AppMember]) -> None:
        await asyncio.sleep(args.duration / 2)
        server = servers[0]
        on_it = held_by(world, server) if len(servers) > 1 else None
        before = {m.index: m.client.joins for m in members if m.held()
                  and (on_it is None or (m.room, m.user_id) in on_it)}
        killed = time.monotonic()
        server.kill9()
        if args.topology != "nginx":
            await asyncio.to_thread(server.start)
        ready = time.monotonic()
        back: dict[int, float] = {}
        by_index = {m.index: m for m in members}
        while len(back) < len(before) and time.monotonic() < ready + REJOIN_WAIT:
            now = time.monotonic()
            for i, joins in before.items():
                c = by_index[i].client
                if i not in back and c.joins > joins and c.joined.is_set():
                    back[i] = now
            await asyncio.sleep(0.02)
        extra.update(held_before=len(before), back=len(back), down=ready - killed,
                     from_kill=[t - killed for t in back.values()],
                     from_ready=[max(0.0, t - ready) for t in back.values()])

    return during


def held_by(world: World, server: AppServer) -> set[tuple[int, int]]:
    """The (session, member) connections the server's process holds, by its worker's pid."""
    return {(int(session), int(user)) for session, user in world._rows(
        "SELECT p.session_id, p.user_id FROM presence p JOIN live_process l "
        f"ON l.id = p.process_id WHERE l.host LIKE '% pid {server.pid}'")}


def rolling(args: argparse.Namespace, extra: dict[str, Any]) -> Fault:
    """From a quarter of the way: SIGTERM one server at a time (gunicorn drains it: its
    clients reconnect through nginx to the others) and start it again, each in its turn."""
    async def during(_world: World, servers: list[AppServer], members: list[AppMember]) -> None:
        await asyncio.sleep(args.duration / 4)
        gap = args.duration / (2 * len(servers))
        extra["restarts"] = []
        for server in servers:
            began = time.monotonic()
            await asyncio.to_thread(server.terminate)
            stopped = time.monotonic()
            await asyncio.to_thread(server.start)
            extra["restarts"].append((stopped - began, time.monotonic() - stopped))
            await asyncio.sleep(gap)
        extra["joins"] = sum(m.client.joins - 1 for m in members)

    return during


def redis_restart(args: argparse.Namespace, redis: PrivateRedis,
                  extra: dict[str, Any]) -> Fault:
    """A third of the way: kill the Redis server, start it again ``--redis-down`` s later;
    at two thirds ask every process's ``/health``."""
    async def during(_world: World, servers: list[AppServer], _m: list[AppMember]) -> None:
        await asyncio.sleep(args.duration / 3)
        down = time.monotonic()
        redis.kill9()
        await asyncio.sleep(args.redis_down)
        await asyncio.to_thread(redis.start)
        extra["redis_down"] = time.monotonic() - down
        await asyncio.sleep(max(0.0, args.duration / 3))
        extra["health"] = [health(s.url) for s in servers]

    return during


def health(url: str) -> str:
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as answer:
            body = json.load(answer)
    except urllib.error.HTTPError as exc:
        body = json.load(exc)
    return f"{body.get('status')} {body.get('problems') or ''}".strip()


def flood(args: argparse.Namespace, extra: dict[str, Any]) -> Fault:
    """Half way: a second socket of room 0's second member (who has no other socket) floods
    until the end."""
    async def during(world: World, servers: list[AppServer], _m: list[AppMember]) -> None:
        await asyncio.sleep(args.duration / 2)
        seconds = args.duration / 2 - 1.0
        room = world.rooms[0]
        extra["flood_window"] = (time.monotonic(), time.monotonic() + seconds)
        # Niced: a real flooder burns its own machine's CPU, not the server's; here the two
        # share 2 cores, and an un-niced busy loop would starve the server of CPU.
        process = await asyncio.create_subprocess_exec(
            "nice", "-n", "19", sys.executable, str(ROOT / "bench" / "live_flood.py"),
            servers[0].url,
            room.seats[1].cookie, str(room.session_id), "--seconds", str(seconds),
            stdout=asyncio.subprocess.PIPE)
        out, _ = await process.communicate()
        extra["flooder"] = json.loads(out or b"{}")

    return during


def probing(url: str, seconds: float, extra: dict[str, Any], every: float = 1.0,
            ) -> Callable[[], Awaitable[None]]:
    """Through the run: every ``every`` s, ``GET /health`` and a page (the log-in form) as a
    load balancer and a person would, noting each answer's status and seconds."""
    async def probe() -> None:
        answers: list[tuple[str, int, float]] = []
        extra["probes"] = answers
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for path in ("/health", "/login"):
                status, took, body = await asyncio.to_thread(timed_get, url + path)
                answers.append((path, status, took))
                if path == "/health" and body:
                    note_events(extra, body)
            await asyncio.sleep(every)

    return probe


def timed_get(url: str) -> tuple[int, float, bytes]:
    began = time.perf_counter()
    body = b""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            body = answer.read()
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return status, time.perf_counter() - began, body


def note_events(extra: dict[str, Any], body: bytes) -> None:
    """From a ``/health`` answer: the most events in flight seen, and those refused busy."""
    try:
        events = json.loads(body).get("events") or {}
    except ValueError:
        return
    if events:
        extra["busy_at"] = events.get("busy_at")
        extra["refused_busy"] = events.get("refused_busy", 0)
        extra["in_flight_max"] = max(extra.get("in_flight_max", 0), events.get("in_flight", 0))

