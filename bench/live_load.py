"""Live load benchmark: a swarm of real python-socketio clients in rooms of 8 against the real
app (``flask serve``, threading mode, a fresh database of its own), beside a bare
python-socketio relay at the same load (docs/benchmarks.md, issue 7).

Every member sends a persisted change (a check-in contribution, or a rename of its own
agenda item) with Poisson spacing; every figure printed is measured in the run:

    .venv/bin/python bench/live_load.py steady [--clients 300 --rate 0.5 --duration 600]
    .venv/bin/python bench/live_load.py quiet  [--clients 500 --rate 0.1]
    .venv/bin/python bench/live_load.py crash  [--clients 200 --rate 0.1]  # kill -9 halfway
    .venv/bin/python bench/live_load.py redis  [--clients 200 --rate 0.1]  # 2 processes
    .venv/bin/python bench/live_load.py flood  [--clients 80 --rate 0.2]   # one socket floods
    .venv/bin/python bench/live_load.py rolling --topology nginx  # SIGTERM + start, each
    add --quick for a short run (< 60 s), --runs N for the median of N runs,
    --database postgres for a fresh PostgreSQL database instead of SQLite,
    --server gunicorn for the production command (gevent worker) instead of flask serve,
    --topology nginx for nginx in front of --processes (2) gunicorn processes
    (implies --server gunicorn, --database postgres; each client from its own 127.x address).

The relay runs first (steady and quiet; --relay elsewhere), then the app. Figures that
must be zero are counted against the database after a final sync of every client.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import live_faults
from bench.live_mix import RoomState, SessionMix
from bench.live_report import report, summary
from bench.live_servers import (
    AppServer,
    Front,
    PrivateRedis,
    RelayServer,
    Watched,
    World,
    build_world,
    drop_database,
    wait_http,
)
from bench.live_swarm import (
    AppMember,
    Member,
    Recorder,
    RelayMember,
    Sends,
    connect_all,
    drive,
    filler,
)
from bench.machine import machine

SCENARIOS: dict[str, dict[str, Any]] = {
    # clients, events/s per client, seconds; quick: the short version (< 60 s in all)
    "steady": {"clients": 300, "rate": 0.5, "duration": 600.0, "relay": True,
               "quick": {"clients": 40, "duration": 15.0, "relay_duration": 8.0}},
    "quiet": {"clients": 500, "rate": 0.1, "duration": 300.0, "relay": True,
              "quick": {"clients": 40, "duration": 15.0, "relay_duration": 8.0}},
    "crash": {"clients": 200, "rate": 0.1, "duration": 60.0, "relay": False,
              "quick": {"clients": 40, "rate": 0.5, "duration": 20.0}},
    "redis": {"clients": 200, "rate": 0.1, "duration": 90.0, "relay": False,
              "quick": {"clients": 40, "rate": 0.5, "duration": 24.0}},
    "flood": {"clients": 80, "rate": 0.2, "duration": 40.0, "relay": False,
              "quick": {"clients": 16, "rate": 0.5, "duration": 12.0}},
    "rolling": {"clients": 200, "rate": 0.1, "duration": 120.0, "relay": False,
                "quick": {"clients": 40, "rate": 0.5, "duration": 60.0}},
}
TARGETS = {
    "steady": "p50 <= 20 ms, p99 <= 250 ms, 0 lost, 0 connect failures",
    "quiet": "p99 <= 150 ms, 0 lost",
    "crash": "100 % reconnect, reconnect p99 <= 5 s, 0 lost, 0 duplicates",
    "redis": "0 lost across processes, including across a Redis restart",
    "flood": "others' p99 <= 2x their baseline, flooder cut off within 1 s",
    "rolling": "0 lost, 0 duplicates through a SIGTERM and restart of each process",
}


@dataclass
class Outcome:
    """One measured run (app or relay)."""

    label: str
    clients: int
    connect_failures: Counter[str]
    held: int
    sends: Sends
    seconds: float
    latency: list[float]
    sent_at: list[float]
    ack: list[float] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-min load average: start, end
    lost: int = 0  # by clients connected at the end, after their final sync
    behind: int = 0  # not applied by clients not connected (or not synced) at the end
    sync_failures: int = 0  # connected clients whose final sync got no answer
    duplicates: int = 0
    applied_twice: int = 0
    setup_duplicates: int = 0  # dropped while the rooms were being joined and started
    setup_seconds: float = 0.0  # world, server start, connecting, joining and starting
    db_twice: int = 0
    acked_missing: int = 0
    snapshots: int = 0
    gap_fetches: int = 0
    syncs: int = 0
    servers: dict[str, Watched] = field(default_factory=dict)
    loadgen_cpu: float = 0.0
    loadgen_gc: tuple[int, float] = (0, 0.0)  # full GC passes, longest pause (s)
    extra: dict[str, Any] = field(default_factory=dict)
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # fan-out by kind
    kinds: Counter[str] = field(default_factory=Counter)  # answered changes by kind
    sql: dict[str, int] = field(default_factory=dict)  # statements logged while measuring


async def sampling(watched: Sequence[Watched], stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        for process in watched:
            process.sample()
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


@dataclass
class Measure:
    sends: Sends
    seconds: float
    loadgen_cpu: float  # % of one core
    load: tuple[float, float]  # the machine's 1-minute load average before and after
    loadgen_gc: tuple[int, float]  # the load generator's full GC passes, longest pause (s)


class GcPauses:
    """The load generator's own garbage-collector pauses while it measures: a pause delays
    every receipt it would have timestamped, so a long one would show as server latency."""

    def __init__(self) -> None:
        self.full_passes, self.longest, self._began = 0, 0.0, 0.0

    def __enter__(self) -> Self:
        gc.collect()
        gc.freeze()  # the world and the connected clients live through the whole run
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)
        gc.unfreeze()

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.longest = max(self.longest, time.perf_counter() - self._began)
        self.full_passes += info["generation"] == 2


async def measured(members: Sequence[Member], args: argparse.Namespace, recorder: Recorder,
                   watched: Sequence[Watched],
                   during: Callable[[], Awaitable[None]] | None = None) -> Measure:
    """Drive the load, sampling the servers every ``--sample-interval`` seconds."""
    stop = asyncio.Event()
    sampler = asyncio.ensure_future(sampling(watched, stop, args.sample_interval))
    load, cpu, wall = os.getloadavg()[0], time.process_time(), time.monotonic()
    with GcPauses() as pauses:
        sends = await drive(members, args.rate, args.duration, recorder, seed=args.seed,
                            during=during)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    stop.set()
    await sampler
    return Measure(sends, wall, 100 * cpu / wall, (load, os.getloadavg()[0]),
                   (pauses.full_passes, pauses.longest))


def outcome_of(label: str, clients: int, failures: Counter[str], held: int, measure: Measure,
               recorder: Recorder, servers: dict[str, Watched]) -> Outcome:
    return Outcome(label, clients, failures, held, measure.sends, measure.seconds,
                   list(recorder.latency), list(recorder.sent_at), list(recorder.ack),
                   measure.load, servers=servers, loadgen_cpu=measure.loadgen_cpu,
                   loadgen_gc=measure.loadgen_gc,
                   by_kind={k: list(v) for k, v in recorder.by_kind.items()},
                   kinds=Counter(recorder.sent_kinds))


async def gather_limited(works: Sequence[Awaitable[Any]], limit: int = 32) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(work: Awaitable[Any]) -> Any:
        async with gate:
            try:
                return await work
            except Exception as exc:  # noqa: BLE001 - counted by the caller as a result
                return exc

    return list(await asyncio.gather(*(one(w) for w in works)))


# --- the app -------------------------------------------------------------------------------


def app_members(world: World, urls: Sequence[str], recorder: Recorder,
                args: argparse.Namespace, skip: frozenset[tuple[int, int]] = frozenset()
                ) -> list[AppMember]:
    """One member per seat; in each room seat ``s`` connects to ``urls[s % len(urls)]``.
    Behind nginx each member comes from an address of its own (127.1.x.y), as members on
    many machines would, so ``hash $remote_addr`` spreads them over the processes."""
    members, index = [], 0
    for r, room in enumerate(world.rooms):
        state = RoomState([seat.user_id for seat in room.seats], duration=args.duration)
        for s, seat in enumerate(room.seats):
            if (r, s) not in skip:
                mix = SessionMix(state, seat.user_id, s, filler) if args.mix == "session" \
                    else None
                member = AppMember(index, urls[s % len(urls)], seat.cookie, room.session_id,
                                   recorder, transports=args.transports,
                                   sync_interval=args.sync_interval, mix=mix)
                member.user_id = seat.user_id
                if args.topology == "nginx":
                    member.client.source_address = f"127.1.{index // 250}.{index % 250 + 1}"
                members.append(member)
            index += 1
    return members


def begin_sessions(members: Sequence[AppMember]) -> None:
    """The session mix's clock starts with the load: each room's current stage from now."""
    now = time.monotonic()
    for member in members:
        if member.mix is not None:
            member.mix.room.stage_since = member.mix.room.phase_since = now


async def set_up_rooms(members: Sequence[AppMember]) -> Counter[str]:
    """Connect (joins), start each session (its first member facilitates) and give every
    member an agenda item of its own; connect failures by reason."""
    failures = await connect_all(members)
    facilitators = {m.room: m for m in reversed(members)}
    results = await gather_limited([m.client.call("live:start")
                                    for m in facilitators.values() if m.held()])
    results += await gather_limited([m.own_item() for m in members if m.held()])
    problems = Counter(f"{type(r).__name__}: {r}"[:100] for r in results
                       if isinstance(r, Exception))
    if problems:
        print(f"  set-up problems: {dict(problems)}")
    await asyncio.sleep(1.0)
    await gather_limited([m.client.sync() for m in members if m.held()])
    return failures


async def app_outcome(world: World, members: Sequence[AppMember], failures: Counter[str],
                      measure: Measure, recorder: Recorder, servers: dict[str, Watched],
                      setup_duplicates: int) -> Outcome:
    """Settle, read the database's final versions, make every client sync, then count."""
    await asyncio.sleep(2.0)
    finals = world.versions()
    held = [m for m in members if m.held()]
    synced = await gather_limited([m.client.sync() for m in held])
    unsynced = {m.index for m, result in zip(held, synced) if isinstance(result, Exception)}
    outcome = outcome_of("app", len(members), failures, len(held), measure, recorder, servers)
    outcome.setup_duplicates = setup_duplicates
    outcome.sync_failures = len(unsynced)
    for m in members:
        c = m.client
        if c.snapshot is None:
            continue
        got = [v for v, _ in c.applied]
        expected = set(range(int(c.snapshot["version"]) + 1, finals[m.room] + 1))
        if m in held and m.index not in unsynced:
            outcome.lost += len(expected - set(got))
        else:  # not connected at the end, or its final sync failed: it could not catch up
            outcome.behind += len(expected - set(got))
        outcome.applied_twice += len(got) - len(set(got))
        outcome.duplicates += c.duplicates
        outcome.snapshots += c.snapshots - 1
        outcome.gap_fetches += c.gap_fetches
        outcome.syncs += c.syncs
    tokens = Counter(text.split(" ", 1)[0] for text in world.contribution_texts())
    outcome.db_twice = sum(n - 1 for t, n in tokens.items() if t.startswith("t") and n > 1)
    outcome.acked_missing = len(measure.sends.acked_tokens - world.logged_op_ids())
    await gather_limited([m.close() for m in members])
    return outcome


async def app_run(args: argparse.Namespace, instance: Path, *, servers: int = 1,
                  redis: PrivateRedis | None = None,
                  during: live_faults.Fault | None = None,
                  skip: frozenset[tuple[int, int]] = frozenset()) -> Outcome:
    began = time.monotonic()
    world = build_world(instance, args.clients, args.postgres)
    # Every bench client comes from 127.0.0.1, where real members come from many addresses:
    # the per-address connect gate (50/s, burst 300) would refuse the swarm itself.
    env = {"FLASK_SOCKETIO_CONNECT_RATE": "0", **dict(args.server_env)}
    if args.count_sql:  # SQLAlchemy's statement log (circles/sql_logging.py keeps it clean)
        env["FLASK_SQLALCHEMY_ECHO"] = "true"
    if redis is not None:
        env["SOCKETIO_MESSAGE_QUEUE"] = redis.url
    running: list[AppServer] = []
    front: Front | None = None
    try:
        running += [AppServer(world, f"server{i + 1}", server=args.server, **env)
                    for i in range(servers)]
        for server in running:  # boot side by side
            server.spawn()
        for server in running:
            wait_http(server, server.url + "/health", timeout=120)
        urls = [s.url for s in running]
        if args.topology == "nginx":
            front = Front(instance, [s.port for s in running]).start()
            urls = [front.url]
        recorder = Recorder()
        members = app_members(world, urls, recorder, args, skip)
        failures = await set_up_rooms(members)
        watched: list[Watched] = [*running, *([redis] if redis else []),
                                  *([front] if front else [])]
        live = [m for m in members if m.held()]
        probes: dict[str, Any] = {}
        probe = live_faults.probing(urls[0], args.duration, probes)

        async def hook() -> None:  # /health and a page, beside the load and any fault
            await asyncio.gather(probe(), *([during(world, running, members)] if during else []))
        setup_duplicates = sum(m.client.duplicates for m in members)
        setup = time.monotonic() - began
        begin_sessions(members)
        marks = [server.sql_mark() for server in running]
        measure = await measured(live, args, recorder, watched, hook)
        sql = [server.sql_since(mark) for server, mark in zip(running, marks)]
        outcome = await app_outcome(world, members, failures, measure, recorder,
                                    {f"server{i + 1}": s for i, s in enumerate(running)},
                                    setup_duplicates)
        outcome.setup_seconds = setup
        outcome.sql = dict(sum((Counter(c) for c in sql), Counter()))
        outcome.extra.update(probes)
    finally:
        if front is not None:
            front.stop()
        for server in running:
            server.stop()
        drop_database(world, args.postgres)
    return outcome


# --- the relay -----------------------------------------------------------------------------


async def relay_run(args: argparse.Namespace, instance: Path) -> Outcome:
    relay = RelayServer(instance, args.relay_async_mode).start()
    try:
        recorder = Recorder()
        members = [RelayMember(i, relay.url, i // 8, recorder, transports=args.transports)
                   for i in range(args.clients)]
        failures = await connect_all(members)
        live = [m for m in members if m.held()]
        duration, args.duration = args.duration, args.relay_duration
        try:
            measure = await measured(live, args, recorder, [relay])
        finally:
            args.duration = duration
        await asyncio.sleep(1.0)
        outcome = outcome_of("relay", len(members), failures, sum(m.held() for m in members),
                             measure, recorder, {"relay": relay})
        finals: Counter[int] = Counter()
        for m in live:
            finals[m.room] = max(finals[m.room], max(m.seen, default=0))
        for m in live:
            outcome.lost += len(set(range(m.base + 1, finals[m.room] + 1)) - m.seen)
            outcome.duplicates += m.duplicates
        await gather_limited([m.close() for m in live])
    finally:
        relay.stop()
    return outcome


# --- scenarios -----------------------------------------------------------------------------


async def scenario_run(name: str, args: argparse.Namespace, instance: Path) -> list[Outcome]:
    """One run of a scenario: the relay (when it has one) and then the app."""
    outcomes = [await relay_run(args, instance / "relay")] if args.relay else []
    extra: dict[str, Any] = {}
    folder = instance / "app"
    if name in ("crash", "rolling") and args.processes > 1:
        redis = PrivateRedis(instance).start()
        try:
            fault = (live_faults.crash if name == "crash" else live_faults.rolling)(args, extra)
            outcome = await app_run(args, folder, servers=args.processes, redis=redis,
                                    during=fault)
        finally:
            redis.stop()
    elif name == "crash":
        outcome = await app_run(args, folder, during=live_faults.crash(args, extra))
    elif name == "rolling":
        outcome = await app_run(args, folder, during=live_faults.rolling(args, extra))
    elif name == "flood":
        outcome = await app_run(args, folder, skip=frozenset({(0, 1)}),
                                during=live_faults.flood(args, extra))
    elif name == "redis" or args.processes > 1 or args.topology == "nginx":
        # processes sharing a private Redis queue (behind nginx: the production deployment)
        redis = PrivateRedis(instance).start()
        try:
            restart = live_faults.redis_restart(args, redis, extra) if name == "redis" else None
            outcome = await app_run(args, folder, servers=args.processes, redis=redis,
                                    during=restart)
        finally:
            redis.stop()
    else:
        outcome = await app_run(args, folder)
    outcome.extra.update(extra)
    return [*outcomes, outcome]


def options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, with each scenario's defaults (and ``--quick``'s) filled in."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?", default="steady", choices=sorted(SCENARIOS))
    parser.add_argument("--clients", type=int)
    parser.add_argument("--rate", type=float, help="events per second per client")
    parser.add_argument("--duration", type=float, help="seconds of load")
    parser.add_argument("--relay-duration", type=float,
                        help="seconds of the relay's run (default: the same, at most 120)")
    parser.add_argument("--no-relay", action="store_true")
    parser.add_argument("--relay", action="store_true", help="measure the relay too")
    parser.add_argument("--processes", type=int,
                        help="app processes sharing a private Redis queue, the rooms' "
                             "members spread over them (default 1; redis: 2)")
    parser.add_argument("--relay-async-mode", choices=("threading", "gevent"),
                        default="threading",
                        help="the relay's async mode (gevent needs `pip install gevent`)")
    parser.add_argument("--runs", type=int, default=1, help="report the median of N runs")
    parser.add_argument("--quick", action="store_true", help="a short run (< 60 s)")
    parser.add_argument("--transport", choices=("websocket", "polling", "both"),
                        default="websocket")
    parser.add_argument("--sync-interval", type=float, default=15.0)
    parser.add_argument("--redis-down", type=float, default=2.0,
                        help="seconds Redis stays down (redis scenario)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help="sqlite: a fresh file; postgres: a fresh database created on "
                             "--postgres-url's server (and dropped afterwards)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CIRCLES_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the app servers (repeatable)")
    parser.add_argument("--sample-interval", type=float,
                        help="seconds between /proc samples of the servers (default 1; "
                             "flood 0.2)")
    parser.add_argument("--mix", choices=("session", "narrow"), default="session",
                        help="session: every change a live session makes, phase by phase "
                             "(bench/live_mix.py); narrow: the first benchmark's 80 %% "
                             "check-in contributions, 20 %% agenda renames")
    parser.add_argument("--count-sql", action=argparse.BooleanOptionalAction, default=True,
                        help="log the app's SQL statements and count them per change "
                             "(costs the server some CPU; --no-count-sql to leave it out)")
    parser.add_argument("--server", choices=("flask", "gunicorn"), default="flask",
                        help="flask: `flask serve` (threading); gunicorn: the production "
                             "command, a gevent worker (circles.deploy.gunicorn_command)")
    parser.add_argument("--topology", choices=("direct", "nginx"), default="direct",
                        help="nginx: the sample of docs/deploy.md in front of --processes "
                             "(default 2) gunicorn processes on PostgreSQL and Redis")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args(argv)
    defaults = {**SCENARIOS[args.scenario], **(SCENARIOS[args.scenario]["quick"]
                                              if args.quick else {})}
    for key in ("clients", "rate", "duration"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])
    args.relay = (defaults["relay"] or args.relay) and not args.no_relay
    if args.relay_duration is None:
        args.relay_duration = defaults.get("relay_duration", min(args.duration, 120.0))
    if args.topology == "nginx":
        args.server, args.database = "gunicorn", "postgres"
    if args.processes is None:
        args.processes = 2 if args.scenario == "redis" or args.topology == "nginx" else 1
    if args.sample_interval is None:
        args.sample_interval = 0.2 if args.scenario == "flood" else 1.0
    args.postgres = args.postgres_url if args.database == "postgres" else None
    args.server_env = [tuple(item.split("=", 1)) for item in args.server_env]
    args.transports = {"websocket": ["websocket"], "polling": ["polling"],
                       "both": None}[args.transport]
    return args


def run(args: argparse.Namespace, *, calibrate: bool = True) -> list[list[Outcome]]:
    """Every run of ``args.scenario``, each printed as it ends, then the summary; first the
    machine, with its speed measured (about a second of CPU; tests that only check what
    holds at any speed leave it out)."""
    if calibrate:
        print(machine())
    base = Path(tempfile.mkdtemp(prefix="circles-live-load-"))
    runs: list[list[Outcome]] = []
    try:
        for number in range(args.runs):
            outcomes = asyncio.run(scenario_run(args.scenario, args, base / f"run{number + 1}"))
            for outcome in outcomes:
                report(args.scenario, outcome, number + 1, args)
            runs.append(outcomes)
        summary(args.scenario, runs, args, TARGETS[args.scenario])
    finally:
        if args.keep:
            print(f"instance kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return runs


def main() -> None:
    # The engine.io client logs an error for every connection it closes while a send
    # waits ("packet queue is empty, aborting"): noise at the end of a run of 500 clients.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    run(options())


if __name__ == "__main__":
    main()
