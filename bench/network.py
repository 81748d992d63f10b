"""My network at scale: one member's page and the facilitator's report in a big community.

Builds a synthetic community (bulk inserts through SQLAlchemy Core) of 10,000 members and
100,000 ties — three formation rounds of circles of 5, two sessions and one feedback per
circle pair, and imported ties to make up the rest — with one member holding 500 ties, in a
temporary SQLite file and, when reachable, PostgreSQL (a private schema, dropped afterwards).
Then prints the median of several runs of the server-side work of

- ``my_network`` for that member, JSON encoding included (target ≤ 100 ms), and
- ``community_report`` for the community (target ≤ 5 s).

    .venv/bin/python bench/network.py [--runs 5] [--members 10000] [--ties 100000]
                                      [--hub-ties 500] [--no-postgres]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.orm import Session

from bench.machine import machine
from circles.database import configure_engine
from circles.models import (
    Base,
    Circle,
    CircleMember,
    Community,
    ExternalContact,
    Interaction,
    LearningGoal,
    Membership,
    Question,
    Strength,
    Tie,
    User,
)
from circles.network.community import community_report
from circles.network.ego import my_network

POSTGRES = os.environ.get("CIRCLES_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")
SCHEMA = "circles_bench_network"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ROUNDS, CIRCLE_SIZE, SESSIONS = 3, 5, 2
TOPICS = [f"topic {i}" for i in range(40)]


def build(engine: Engine, n: int, ties: int, hub_ties: int, seed: int = 0) -> tuple[int, int]:
    """Fill an empty schema; returns (community id, the hub member's id)."""
    rng = random.Random(seed)
    with Session(engine) as db:
        community = Community(name="Bench", invite_code="bench")
        db.add(community)
        db.flush()
        cid = community.id
        db.execute(insert(User), [
            {"id": i, "email": f"m{i}@example.org", "display_name": f"Member {i}",
             "organisation": f"Org {i % 20}", "department": f"Dept {(i // 20) % 8}"}
            for i in range(1, n + 1)])
        db.execute(insert(Membership), [
            {"community_id": cid, "user_id": i, "role": "member", "joined_at": T0}
            for i in range(1, n + 1)])
        pairs: set[tuple[int, int]] = set()
        hub = 1
        circle_id = 0
        for number in range(1, ROUNDS + 1):
            at = T0 + timedelta(days=30 * number)
            order = list(range(1, n + 1))
            rng.shuffle(order)
            groups = [order[i:i + CIRCLE_SIZE] for i in range(0, n, CIRCLE_SIZE)]
            db.execute(insert(Circle), [
                {"id": circle_id + k + 1, "community_id": cid, "name": f"R{number} C{k + 1}",
                 "kind": "group", "round_no": number, "created_at": at}
                for k in range(len(groups))])
            db.execute(insert(CircleMember), [
                {"circle_id": circle_id + k + 1, "user_id": uid, "joined_at": at}
                for k, group in enumerate(groups) for uid in group])
            circle_id += len(groups)
            rows = []
            for group in groups:
                for a, b in itertools.combinations(sorted(group), 2):
                    pairs.add((a, b))
                    rows += [{"low_id": a, "high_id": b, "kind": "session",
                              "at": at + timedelta(days=7 * (s + 1))} for s in range(SESSIONS)]
                    rows.append({"low_id": a, "high_id": b, "kind": "feedback",
                                 "at": at + timedelta(days=7)})
            db.execute(insert(Interaction), rows)
        imported: set[tuple[int, int]] = set()
        others = [i for i in range(2, n + 1) if (min(hub, i), max(hub, i)) not in pairs]
        hub_known = sum(1 for p in pairs if hub in p)
        for other in rng.sample(others, hub_ties - hub_known):
            imported.add((hub, other))
        while len(pairs) + len(imported) < ties:
            a, b = sorted(rng.sample(range(2, n + 1), 2))
            if (a, b) not in pairs:
                imported.add((a, b))
        db.execute(insert(Tie), [{"low_id": a, "high_id": b, "source": "imported",
                                  "created_at": T0} for a, b in imported])
        profile(db, n, rng)
        db.execute(insert(ExternalContact), [
            {"owner_id": hub, "name": f"Outside {k}", "context": "former_employer",
             "context_name": f"Firm {k}", "support": ["career"], "note": ""} for k in range(5)])
        db.commit()
    return cid, hub


def profile(db: Session, n: int, rng: random.Random) -> None:
    """Two strengths, a question and a learning goal each, so coverage has work to do."""
    strengths, questions, goals = [], [], []
    for uid in range(1, n + 1):
        a, b, c, d = rng.sample(TOPICS, 4)
        strengths += [{"user_id": uid, "topic": t, "topic_key": t, "position": k}
                      for k, t in enumerate((a, b))]
        questions.append({"user_id": uid, "text": f"How do I get better at {c}?", "topic": c,
                          "topic_key": c})
        goals.append({"user_id": uid, "topic": d, "topic_key": d})
    db.execute(insert(Strength), strengths)
    db.execute(insert(Question), questions)
    db.execute(insert(LearningGoal), goals)


def median_time(engine: Engine, runs: int, work: Callable[[Session], Any]) -> list[float]:
    times = []
    for _ in range(runs):
        with Session(engine) as db:  # a fresh session per run, as per request
            started = time.perf_counter()
            work(db)
            times.append(time.perf_counter() - started)
    return times


@contextmanager
def postgres_engine() -> Iterator[Engine]:
    url = POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        admin.dispose()


def measure(name: str, engine: Engine, args: argparse.Namespace) -> None:
    Base.metadata.create_all(engine)
    started = time.perf_counter()
    cid, hub = build(engine, args.members, args.ties, args.hub_ties)
    with Session(engine) as db:
        page = my_network(db, hub)
    print(f"{name}: built {args.members} members, {args.ties} ties in "
          f"{time.perf_counter() - started:.1f} s; the member's page shows "
          f"{page['metrics']['size']['value']} contacts "
          f"({args.hub_ties} members + 5 outside), {len(page['edges'])} edges", flush=True)
    page_times = median_time(engine, args.runs, lambda db: json.dumps(my_network(db, hub)))
    report_times = median_time(engine, args.runs, lambda db: community_report(db, cid))
    for label, times, target in [("my_network (+ JSON)", page_times, 0.1),
                                 ("community_report", report_times, 5.0)]:
        median = statistics.median(times)
        verdict = "ok" if median <= target else "OVER TARGET"
        print(f"  {label:22s} median {median * 1000:8.1f} ms  target {target * 1000:6.0f} ms "
              f"{verdict}  (runs: {[round(t * 1000) for t in times]} ms)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--ties", type=int, default=100_000)
    parser.add_argument("--hub-ties", type=int, default=500)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(machine(f"SQLite {sqlite3.sqlite_version}"))
    print(f"median of {args.runs} runs, each in a fresh ORM session")
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        configure_engine(engine, busy_timeout_ms=5000)
        measure("sqlite", engine, args)
        engine.dispose()
    if args.no_postgres:
        return
    try:
        probe = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://", 1))
        with probe.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        probe.dispose()
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        print(f"postgresql: skipped ({type(exc).__name__}: not reachable at {POSTGRES})")
        return
    with postgres_engine() as engine:
        measure(f"postgresql {version}", engine, args)

if __name__ == "__main__":
    main()
