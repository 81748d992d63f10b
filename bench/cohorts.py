"""Communities nobody designed the formation engine for: dense teams, hubs, newcomers with
nothing in common, demand skewed to a few popular topics, typed topics outside the
vocabulary, and (optionally) weekly hours in odd time zones.

``build_cohort(db, members, rng, availability=...)`` writes one through the same domain
functions real input uses and returns its id. The shape, per member:

- three departments (two organisations), each a third of the community, of teams of 4–8 in
  which **everyone is tied to everyone**; about 30 % of the other pairs in a department are
  tied too (a third);
- about 3 % **hubs** tied to 30–50 % of everyone; about 10 % **newcomers** outside any team
  with 0–1 ties;
- 1–3 questions and 0–2 learning goals whose topics follow a **Zipf law** (s = 1.1) over 40
  topics, so a handful of topics carry most of the demand; about 6 % of later questions and
  3 % of top questions are typed in the member's own words (a topic outside the vocabulary,
  which the facilitator maps, as ``map_typed_topics`` does); 3–5 strengths, more likely on
  popular topics (weights ∝ demand^0.7 plus a uniform share), never on one's own questions;
  a boundary for 20 %;
- with ``availability``: 70 % can make 3–5 of the programme's 8 weekly slots (Mon–Thu 12:00
  and 16:00 London time), entered in their own zone; 30 % give 2–3 windows of their own
  working day instead. A quarter work from far or half-hour zones (Kolkata, Kathmandu,
  Adelaide, St John's, Honolulu, Tokyo).
"""

from __future__ import annotations

import itertools
import random
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from circles.communities.community import create_community
from circles.demo.content import TOPICS
from circles.members.availability import local_windows, week_of
from circles.members.profiles import (
    add_availability,
    add_boundary,
    add_learning_goal,
    add_question,
    add_strength,
    format_clock,
)
from circles.members.topics import add_topic, topic_key
from circles.models import Community, Membership, Tie, Topic, TopicAlias, User

EXTRA_TOPICS = ("Strategy", "Influencing", "Resilience", "Presenting data", "Hiring",
                "Coaching", "Research methods", "Budget planning", "Writing", "Delegation")
HOME_ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Europe/Madrid")
FAR_ZONES = ("Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "America/St_Johns",
             "Pacific/Honolulu", "Asia/Tokyo")
PROGRAMME = [(day, minute) for day in (0, 1, 2, 3) for minute in (12 * 60, 16 * 60)]
LEAD = "lead@cohort.example"


def vocabulary() -> list[str]:
    return [t.label for t in TOPICS] + list(EXTRA_TOPICS)


def build_cohort(db: Session, members: int, rng: random.Random, *,
                 availability: bool = True) -> int:
    """The synthetic community (and its facilitator, ``LEAD``); returns its id."""
    lead = User(email=LEAD, display_name="Lead Facilitator", timezone="Europe/London")
    db.add(lead)
    db.flush()
    community = create_community(db, lead, name=f"Cohort of {members}")
    labels = vocabulary()
    for label in labels:
        add_topic(db, community.id, label)
    popularity = _zipf(labels, rng)
    users, teams, newcomers = _people(db, community, members, rng)
    with db.no_autoflush:
        for user in users:
            _profile(db, rng, user, popularity, availability=availability)
    db.flush()
    _ties(db, community.id, users, teams, newcomers, rng)
    map_typed_topics(db, community.id)
    return community.id


def _zipf(labels: list[str], rng: random.Random) -> dict[str, float]:
    order = labels[:]
    rng.shuffle(order)
    return {label: 1.0 / (rank + 1) ** 1.1 for rank, label in enumerate(order)}


#: Share of the pairs in a department who know each other.
DEPARTMENT_TIES = 0.33
#: Departments (organisation, department): three of them whatever the size, so a department is
#: a third of the community and its 30 % ties keep a random grouping's new-tie ratio near
#: 0.85 or below at every size (docs/benchmarks.md).
DEPARTMENTS = (("Organisation 0", "Department 0.0"), ("Organisation 0", "Department 0.1"),
               ("Organisation 1", "Department 1.0"))


def _people(db: Session, community: Community, members: int, rng: random.Random,
            ) -> tuple[list[User], list[list[User]], list[User]]:
    users: list[User] = []
    teams: list[list[User]] = []
    newcomers: list[User] = []
    while len(users) < members:
        size = min(rng.randint(4, 8), members - len(users))
        if rng.random() < 0.1:  # a newcomer on their own
            size = 1
        org, dept = DEPARTMENTS[len(teams) % len(DEPARTMENTS)]
        team: list[User] = []
        for _ in range(size):
            n = len(users)
            far = rng.random() < 0.25
            zone = rng.choice(FAR_ZONES) if far else HOME_ZONES[int(org[-1]) % len(HOME_ZONES)]
            user = User(email=f"m{n}@cohort.example", display_name=f"Member{n} Cohort",
                        timezone=zone, organisation=org, department=dept, strengths=[],
                        questions=[], learning_goals=[], boundaries=[], success_criteria=[],
                        availability=[])
            community.memberships.append(Membership(user=user, role="member"))
            users.append(user)
            team.append(user)
        (newcomers.extend(team) if size == 1 else teams.append(team))
    db.flush()
    return users, teams, newcomers


def _ties(db: Session, community_id: int, users: list[User], teams: list[list[User]],
          newcomers: list[User], rng: random.Random) -> None:
    tied: set[tuple[int, int]] = set()

    def tie(a: User, b: User) -> None:
        if a.id != b.id:
            tied.add((min(a.id, b.id), max(a.id, b.id)))

    for team in teams:
        for a, b in itertools.combinations(team, 2):
            tie(a, b)
    by_department: dict[str, list[User]] = {}
    for user in users:
        if user not in newcomers:
            by_department.setdefault(user.department, []).append(user)
    for colleagues in by_department.values():
        for a, b in itertools.combinations(colleagues, 2):
            if rng.random() < DEPARTMENT_TIES:
                tie(a, b)
    settled = [u for u in users if u not in newcomers]
    for hub in rng.sample(settled, max(1, len(users) * 3 // 100)):
        for other in rng.sample(users, int(len(users) * rng.uniform(0.3, 0.5))):
            tie(hub, other)
    for newcomer in newcomers:
        if rng.random() < 0.5:
            tie(newcomer, rng.choice(settled))
    db.execute(insert(Tie), [{"low_id": low, "high_id": high, "source": "imported",
                              "community_id": community_id} for low, high in sorted(tied)])


def _pick(weights: dict[str, float], rng: random.Random, k: int, avoid: set[str]) -> list[str]:
    pool = {t: w for t, w in weights.items() if t not in avoid}
    chosen: list[str] = []
    while len(chosen) < k and pool:
        topic = rng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(topic)
        del pool[topic]
    return chosen


def _profile(db: Session, rng: random.Random, user: User, popularity: dict[str, float], *,
             availability: bool) -> None:
    wanted = _pick(popularity, rng, rng.randint(1, 3), set())
    for rank, topic in enumerate(wanted):
        typed = rng.random() < (0.03 if rank == 0 else 0.06)
        label = f"{topic} in practice" if typed else topic
        add_question(db, user, text=f"How do I get better at {topic.lower()}?", topic=label)
    for topic in _pick(popularity, rng, rng.randint(0, 2), set(wanted)):
        add_learning_goal(db, user, topic=topic)
    supply = {t: w**0.7 + 0.05 for t, w in popularity.items()}
    strengths = _pick(supply, rng, rng.randint(3, 5), set(wanted))
    for topic in strengths:
        add_strength(db, user, topic=topic)
    if rng.random() < 0.2:
        spare = [t for t in popularity if t not in wanted and t not in strengths]
        add_boundary(db, user, topic=rng.choice(spare))
    if availability:
        for weekday, start, end in _windows(rng, user.timezone):
            add_availability(db, user, weekday=weekday, start=format_clock(start),
                             end=format_clock(end))


def _windows(rng: random.Random, zone: str) -> list[tuple[int, int, int]]:
    monday = week_of(date.today())
    if rng.random() < 0.7:
        slots = rng.sample(PROGRAMME, rng.randint(3, 5))
        found = local_windows(slots, 90, zone, monday=monday)
    else:
        days = rng.sample(range(5), rng.randint(2, 3))
        found = [(day, start, start + rng.choice((90, 120, 180)))
                 for day, start in ((d, rng.choice((8 * 60, 9 * 60, 13 * 60, 15 * 60)))
                                    for d in days)]
    merged: list[tuple[int, int, int]] = []
    for day, start, end in sorted(found):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            merged[-1] = (day, merged[-1][1], max(end, merged[-1][2]))
        else:
            merged.append((day, start, end))
    return merged


def map_typed_topics(db: Session, community_id: int) -> int:
    """What a facilitator does with typed topics: map "X in practice" to the topic X."""
    topics = {t.key: t for t in db.scalars(select(Topic).where(Topic.community_id == community_id))}
    mapped = 0
    for label in vocabulary():
        typed = topic_key(f"{label} in practice")
        target = topics.get(topic_key(label))
        if target is not None and not db.scalar(select(TopicAlias.id).where(
                TopicAlias.community_id == community_id, TopicAlias.key == typed)):
            db.add(TopicAlias(community_id=community_id, key=typed, topic_id=target.id))
            mapped += 1
    db.flush()
    return mapped
