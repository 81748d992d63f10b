"""Where a live change's server time goes: one room of 8 through Flask-SocketIO's test client
(handlers run in this thread, no transport), under cProfile.

Prints the wall time per ``live:contribute`` (from the event to its ack, broadcast
included) and the functions with the most cumulative time.

    .venv/bin/python bench/live_profile.py [--events 400] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live_servers import build_world, drop_database
from bench.machine import machine
from circles import create_app
from circles.config import database_uri


def clients(app: Any, cookies: list[str]) -> list[Any]:
    socketio = app.extensions["socketio"]
    out = []
    for cookie in cookies:
        name, value = cookie.split("=", 1)
        browser = app.test_client()
        browser.set_cookie(name, value)
        out.append(socketio.test_client(app, flask_test_client=browser))
    return out


def contribute(members: list[Any], session_id: int, numbers: range) -> float:
    """Send one contribution per number, round the room; seconds taken."""
    started = time.perf_counter()
    for n in numbers:
        ack = members[n % len(members)].emit("live:contribute", {
            "session_id": session_id, "kind": "checkin",
            "text": f"t{n} a contribution of ordinary length " * 3, "op_id": f"p{n}"},
            callback=True)
        assert ack["ok"], ack
        if n % 50 == 0:
            for member in members:
                member.get_received()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "CIRCLES_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order (e.g. tottime)")
    args = parser.parse_args()
    postgres = args.postgres_url if args.database == "postgres" else None
    print(machine())
    with tempfile.TemporaryDirectory(prefix="circles-live-profile-") as folder:
        world = build_world(Path(folder), 8, postgres)
        try:
            app = create_app({"DATABASE_URL": world.database_url,
                              "SECRET_KEY": world.secret_key, "NOTIFY_INTERVAL_SECONDS": 0,
                              # one thread sends as fast as handlers answer: not a flood
                              **{f"SOCKETIO_{kind}_PER_{who}": 1e6 for kind in ("RATE", "BURST")
                                 for who in ("SID", "MEMBER")}})
            room = world.rooms[0]
            members = clients(app, [seat.cookie for seat in room.seats])
            for member in members:
                assert member.emit("live:join", {"session_id": room.session_id},
                                   callback=True)["ok"]
            assert members[0].emit("live:start", {"session_id": room.session_id},
                                   callback=True)["ok"]
            plain = contribute(members, room.session_id, range(args.events))
            profile = cProfile.Profile()
            profile.enable()
            profiled = contribute(members, room.session_id,
                                  range(args.events, 2 * args.events))
            profile.disable()
        finally:
            drop_database(world, postgres)
    print(f"database: {database_uri(world.database_url, Path(folder)).split('://')[0]}; "
          f"live:contribute in a room of 8, handlers in one thread, no transport: "
          f"{1000 * plain / args.events:.2f} ms each ({args.events} events), "
          f"{1000 * profiled / args.events:.2f} ms under cProfile")
    stats = pstats.Stats(profile)
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
