"""Where a live change's server time goes: one room of 8 through Flask-SocketIO's test client
(handlers run in this thread, no transport), optionally under cProfile.

Sends a mix of changes round the room — ``session`` (every kind a live session makes,
``bench/live_mix.py``, on a simulated clock of 0.5 changes per member per second) or
``narrow`` (check-in contributions only) — and prints, per kind of change, the wall time
from the event to its ack (broadcast included), the process's CPU time for it, and the SQL
statements and round trips (BEGIN, COMMIT and ROLLBACK included) each took; then the
functions with the most time. The loaded objects are kept out of full GC passes first, as
both servers do (``circles.server.settle_loaded_objects``).

    .venv/bin/python bench/live_profile.py [--events 400] [--mix session|narrow]
        [--database sqlite|postgres] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.live_mix import RoomState, SessionMix, narrow
from bench.live_servers import build_world, drop_database
from bench.live_swarm import filler
from bench.machine import machine
from circles import create_app
from circles.config import database_uri
from circles.extensions import orm
from circles.server import settle_loaded_objects
from realtime import processes

RATE = 0.5  # changes per member per second, as in the load benchmark


def clients(app: Any, cookies: list[str]) -> list[Any]:
    socketio = app.extensions["socketio"]
    out = []
    for cookie in cookies:
        name, value = cookie.split("=", 1)
        browser = app.test_client()
        browser.set_cookie(name, value)
        out.append(socketio.test_client(app, flask_test_client=browser))
    return out


class SqlCounter:
    """Statements and transaction commands the engine sends (each one a round trip)."""

    def __init__(self, engine: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.last: list[str] = []  # the statements' first lines, since ``last`` was emptied
        event.listen(engine, "before_cursor_execute", self._statement)
        for name in ("begin", "commit", "rollback"):
            event.listen(engine, name, self._command(name))

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.counts["statements"] += 1
        self.last.append(" ".join(statement.split())[:160])

    def _command(self, name: str) -> Any:
        def count(*_args: Any) -> None:
            self.counts[name] += 1
            self.last.append(name.upper())
        return count


class Room:
    """A room of 8 test clients sending a mix of changes, measured per kind."""

    def __init__(self, members: list[Any], user_ids: list[int], session_id: int,
                 mix: str, seed: int = 1) -> None:
        self.members, self.session_id, self.mix = members, session_id, mix
        self.sent = 0
        self.state = RoomState(user_ids, duration=1.0,
                               clock=lambda: self.sent / (RATE * len(members)))
        self.mixes = [SessionMix(self.state, uid, seat, filler)
                      for seat, uid in enumerate(user_ids)]
        self.rng = random.Random(seed)
        self.item_ids: dict[int, int] = {}
        self.seconds: defaultdict[str, list[float]] = defaultdict(list)
        self.cpu: defaultdict[str, list[float]] = defaultdict(list)  # process CPU seconds
        self.sql: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.refused: Counter[str] = Counter()
        self.show: set[str] = set()  # kinds whose first change's statements are printed

    def drain(self) -> None:
        for packet in self.members[0].get_received():
            if packet["name"] == "live:changed":
                data = packet["args"][0]
                self.state.apply(int(data["version"]), data["change"])
        for member in self.members[1:]:
            member.get_received()

    def send(self, n: int, counter: SqlCounter) -> None:
        seat = self.rng.randrange(len(self.members))
        token = f"t{seat}x{n}"
        if self.mix == "session":
            kind, (name, fields) = self.mixes[seat].next(self.rng, token)
        else:
            kind, (name, fields) = narrow(self.rng, token, None, 0.0, filler)
        before = Counter(counter.counts)
        counter.last = []
        started, cpu = time.perf_counter(), time.process_time()
        ack = self.members[seat].emit(name, {"session_id": self.session_id, "op_id": token,
                                             **fields}, callback=True)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.sent += 1
        if not ack["ok"]:
            self.refused[f"{kind}: {ack['error'][:60]}"] += 1
        else:
            self.seconds[kind].append(took)
            self.cpu[kind].append(cpu)
            self.sql[kind].update(counter.counts - before)
            if kind in self.show or "all" in self.show:
                self.show.discard(kind)
                print(f"-- {kind}:", *counter.last, sep="\n   ")
        self.drain()


def report(room: Room, label: str) -> None:
    total = sum(len(v) for v in room.seconds.values())
    print(f"{label}: {total} answered changes, {sum(room.refused.values())} refused")
    print(f"  {'kind':<20}{'n':>6}{'mean ms':>10}{'p50 ms':>9}{'max ms':>9}{'CPU ms':>8}"
          f"{'statements':>12}{'round trips':>13}")
    everything: Counter[str] = Counter()
    for kind, values in sorted(room.seconds.items(), key=lambda kv: -len(kv[1])):
        sql = room.sql[kind]
        everything.update(sql)
        n = len(values)
        print(f"  {kind:<20}{n:>6}{1000 * statistics.fmean(values):>10.2f}"
              f"{1000 * statistics.median(values):>9.2f}{1000 * max(values):>9.2f}"
              f"{1000 * statistics.fmean(room.cpu[kind]):>8.2f}"
              f"{sql['statements'] / n:>12.2f}{sum(sql.values()) / n:>13.2f}")
    all_seconds = [s for values in room.seconds.values() for s in values]
    all_cpu = [s for values in room.cpu.values() for s in values]
    print(f"  {'all':<20}{total:>6}{1000 * statistics.fmean(all_seconds):>10.2f}"
          f"{1000 * statistics.median(all_seconds):>9.2f}{1000 * max(all_seconds):>9.2f}"
          f"{1000 * statistics.fmean(all_cpu):>8.2f}"
          f"{everything['statements'] / total:>12.2f}{sum(everything.values()) / total:>13.2f}")
    if room.refused:
        print(f"  refused: {dict(room.refused.most_common(6))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400, help="changes per pass")
    parser.add_argument("--mix", choices=("session", "narrow"), default="session")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CIRCLES_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True,
                        help="a second pass under cProfile, and its top functions")
    parser.add_argument("--show-sql", nargs="*", default=[], metavar="KIND",
                        help="print the statements of the first change of each KIND")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order (e.g. tottime)")
    args = parser.parse_args()
    postgres = args.postgres_url if args.database == "postgres" else None
    print(machine())
    print(f"load average {os.getloadavg()[0]:.1f} (other work shares the cores)")
    with tempfile.TemporaryDirectory(prefix="circles-live-profile-") as folder:
        world = build_world(Path(folder), 8, postgres)
        try:
            app = create_app({"DATABASE_URL": world.database_url,
                              "SECRET_KEY": world.secret_key, "NOTIFY_INTERVAL_SECONDS": 0,
                              # one thread sends as fast as handlers answer: not a flood
                              **{f"SOCKETIO_{kind}_PER_{who}": 1e6 for kind in ("RATE", "BURST")
                                 for who in ("SID", "MEMBER")}})
            with app.app_context():
                counter = SqlCounter(orm.engine)
            seats = world.rooms[0].seats
            session_id = world.rooms[0].session_id
            members = clients(app, [seat.cookie for seat in seats])
            for member in members:
                assert member.emit("live:join", {"session_id": session_id},
                                   callback=True)["ok"]
            assert members[0].emit("live:start", {"session_id": session_id},
                                   callback=True)["ok"]
            for n, member in enumerate(members):
                assert member.emit("live:agenda_add", {"session_id": session_id,
                                                       "title": f"Topic of {n}"},
                                   callback=True)["ok"]
            room = Room(members, [seat.user_id for seat in seats], session_id, args.mix)
            settle_loaded_objects()  # as both servers do once loaded (circles/server.py)
            room.show = set(args.show_sql)
            room.drain()
            # The session's length: its phases take the whole of both passes.
            room.state.duration = 2 * args.events / (RATE * len(members))
            room.state.stage_since = 0.0
            for n in range(args.events):
                room.send(n, counter)
            report(room, f"{args.mix} mix, plain pass")
            if args.profile:
                timed = Room(members, room.state.members, session_id, args.mix, seed=2)
                timed.state, timed.mixes, timed.sent = room.state, room.mixes, room.sent
                room.state.clock = lambda: timed.sent / (RATE * len(members))
                profile = cProfile.Profile()
                profile.enable()
                for n in range(args.events, 2 * args.events):
                    timed.send(n, counter)
                profile.disable()
                report(timed, f"{args.mix} mix, under cProfile")
            app.extensions[processes.EXTENSION].stop()  # before its database goes
        finally:
            drop_database(world, postgres)
    print(f"database: {database_uri(world.database_url, Path(folder)).split('://')[0]}; "
          f"a room of 8, handlers in one thread, no transport")
    if args.profile:
        stats = pstats.Stats(profile)
        stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
