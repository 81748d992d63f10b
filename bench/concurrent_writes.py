"""How fast concurrent read-modify-write transactions commit, without losing any.

Runs THREADS threads × INCREMENTS ORM increments of one counter (each its own transaction)
against SQLite (BEGIN IMMEDIATE, WAL) and, when reachable, PostgreSQL (SELECT … FOR UPDATE),
several times, and prints the median wall time, commits per second and the final count.

    .venv/bin/python bench/concurrent_writes.py [--runs 5] [--threads 16] [--increments 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from circles import create_app
from circles.extensions import orm
from circles.models import Community

POSTGRES = os.environ.get("CIRCLES_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


def one_run(url: str, threads: int, increments: int, options: dict[str, Any]) -> tuple[float, int]:
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    with app.app_context():
        orm.drop_all()
        orm.create_all()
        engine = orm.engine
        with Session(engine) as db:
            community = Community(name="bench", invite_code="bench")
            db.add(community)
            db.commit()
            cid = community.id
        barrier = threading.Barrier(threads + 1)

        def work() -> None:
            barrier.wait()
            for _ in range(increments):
                with Session(engine) as db:
                    row: Any = db.get(Community, cid, with_for_update=True)
                    row.invite_uses += 1
                    db.commit()

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for w in workers:
            w.start()
        barrier.wait()
        started = time.perf_counter()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - started
        with Session(engine) as db:
            final = db.get_one(Community, cid).invite_uses
        orm.drop_all()
        engine.dispose()
    return elapsed, final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--increments", type=int, default=200)
    args = parser.parse_args()
    expected = args.threads * args.increments
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"{args.threads} threads x {args.increments} increments = {expected} transactions, "
          f"median of {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        backends: list[tuple[str, str, dict[str, Any]]] = [
            ("sqlite (WAL, BEGIN IMMEDIATE)", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", {}),
        ]
        try:
            probe = create_app({"SECRET_KEY": "x", "DATABASE_URL": POSTGRES})
            with probe.app_context(), orm.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            backends.append(("postgresql (FOR UPDATE)", POSTGRES, {}))
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            print(f"postgresql: skipped ({type(exc).__name__}: not reachable at {POSTGRES})")
        for name, url, options in backends:
            times, finals = [], []
            for _ in range(args.runs):
                elapsed, final = one_run(url, args.threads, args.increments, options)
                times.append(elapsed)
                finals.append(final)
            median = statistics.median(times)
            lost = max(expected - f for f in finals)
            print(f"{name:32s} median {median:6.2f} s  {expected / median:8.0f} commits/s  "
                  f"final counts {sorted(set(finals))}  lost {lost}")


if __name__ == "__main__":
    main()
