"""Formation quality on a synthetic community, beside a random grouping of the same sizes.

Builds a community of MEMBERS people in 4 organisations (teams of 5 inside 12 departments,
everyone tied to their own team), with strengths, questions, learning goals, boundaries and
weekly windows drawn from the demo's topic list, through the same domain functions real
input uses, on a temporary SQLite database. Then forms round 1 in circles of 4–6 and prints
the figures beside the random and greedy baselines. Targets: new-tie ratio ≥ 0.95, coverage
≥ 0.95 with availability (issue 14).

    .venv/bin/python bench/formation_product.py [--members 300] [--time-limit 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles import create_app
from circles.communities.community import create_community
from circles.demo.content import ORGANISATIONS, TOPICS
from circles.extensions import orm
from circles.formation.figures import FIGURE_LABELS
from circles.formation.plan import compute_run
from circles.formation.preview import preview
from circles.formation.start import start_run
from circles.members.availability import local_windows, week_of
from circles.members.profiles import (
    add_availability,
    add_boundary,
    add_learning_goal,
    add_question,
    add_strength,
    format_clock,
)
from circles.members.topics import add_topic
from circles.models import Community, Membership, User
from circles.network.ties import add_tie

TEAM = 5
# The programme's session slots (London time): Tue–Thu at 12:00 and 16:00, 90 minutes each;
# every member can make SLOTS_PICKED of them.
SLOTS = [(day, minute) for day in (1, 2, 3) for minute in (12 * 60, 16 * 60)]
SLOTS_PICKED = 4
SLOT_LENGTH = 90
LEAD = "lead@bench.example"


def build(db: Session, members: int, rng: random.Random, *, windows: bool = True) -> int:
    """The synthetic community; returns its id."""
    lead = User(email=LEAD, display_name="Lead Facilitator", timezone="UTC")
    db.add(lead)
    db.flush()
    community = create_community(db, lead, name="Formation benchmark")
    for topic in TOPICS:
        add_topic(db, community.id, topic.label)
    departments = [(o, d) for o in ORGANISATIONS for d in o.departments]
    users: list[User] = []
    for n in range(members):
        organisation, department = departments[(n // TEAM) % len(departments)]
        zone = organisation.timezones[0] if rng.random() < 0.85 else rng.choice(organisation.timezones)
        user = User(email=f"m{n}@bench.example", display_name=f"Member{n} Bench", timezone=zone,
                    organisation=organisation.name, department=department, strengths=[],
                    questions=[], learning_goals=[], boundaries=[], success_criteria=[],
                    availability=[])
        community.memberships.append(Membership(user=user, role="member"))
        users.append(user)
    db.flush()
    with db.no_autoflush:
        for user in users:
            _profile(db, rng, user, windows=windows)
    db.flush()
    for start in range(0, members, TEAM):
        for a, b in itertools.combinations(users[start:start + TEAM], 2):
            add_tie(db, a.id, b.id, source="imported", community_id=community.id)
    return community.id


def _profile(db: Session, rng: random.Random, user: User, *, windows: bool) -> None:
    strengths = rng.sample(TOPICS, rng.randint(2, 4))
    for topic in strengths:
        add_strength(db, user, topic=topic.label)
    wanted = rng.sample([t for t in TOPICS if t not in strengths], rng.randint(1, 3))
    for topic in wanted:
        add_question(db, user, text=rng.choice(topic.questions), topic=topic.label)
    add_learning_goal(db, user, topic=wanted[0].label)
    if rng.random() < 0.3:
        add_boundary(db, user, topic=rng.choice([t for t in TOPICS if t not in wanted]).label)
    if windows:
        for weekday, start, end in local_windows(rng.sample(SLOTS, SLOTS_PICKED), SLOT_LENGTH,
                                                 user.timezone, monday=week_of(date.today())):
            add_availability(db, user, weekday=weekday, start=format_clock(start),
                             end=format_clock(end))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--time-limit", type=float, default=None,
                        help="Cap in seconds (default: the product's, which grows with size).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic community.")
    parser.add_argument("--runs", type=int, default=3, help="Solver seeds 1..RUNS.")
    parser.add_argument("--no-availability", action="store_true",
                        help="Give nobody weekly windows (everyone counts as free).")
    parser.add_argument("--weight", action="append", default=[], metavar="KEY=VALUE",
                        help="Override a formation weight, e.g. complementarity=5.")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"{args.members} members, 4 organisations, 12 departments, teams of {TEAM} tied inside, "
          f"{'programme slots' if not args.no_availability else 'no availability'}, "
          f"circles of 4–6, round 1, time cap {args.time_limit or 'the product default'}")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{Path(tmp) / 'b.sqlite3'}"})
        with app.app_context():
            orm.create_all()
            db = orm.session()
            community = db.get_one(Community, build(db, args.members, random.Random(args.seed),
                                                    windows=not args.no_availability))
            lead = db.scalars(select(User).where(User.email == LEAD)).one()
            weights = dict(item.split("=", 1) for item in args.weight)
            for seed in range(1, args.runs + 1):
                started = time.perf_counter()
                run = start_run(db, community, lead, min_size=4, max_size=6, weights=weights)
                compute_run(db, run.id, time_limit=args.time_limit, seed=seed)
                seconds = time.perf_counter() - started
                shown = preview(db, run)
                print(f"solver seed {seed}: {len(shown.circles)} circles, {len(shown.excluded)} "
                      f"not placed, {run.figures['plan']['circles_without_shared_hour']} without "
                      f"a shared hour, {seconds:.1f} s (utilities + solve + figures)")
                print(f"  {'figure':<32}{'this plan':>10}{'random':>10}{'greedy':>10}")
                for key, label in FIGURE_LABELS.items():
                    print(f"  {label!s:<32}{shown.figures.get(key)!s:>10}"
                          f"{shown.baseline.get(key)!s:>10}{shown.greedy.get(key)!s:>10}")
                for note in shown.notes:
                    print(f"  note: {note}")


if __name__ == "__main__":
    main()
