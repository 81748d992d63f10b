"""The demo community a newcomer sees on first run, built deterministically from a seed.

Everything goes through the same domain functions real input does (profiles, topics, ties,
circles), so the demo obeys the same rules. Only the password hash is shared: one scrypt
hash per account would make ``make run`` wait several seconds on a small machine.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community, set_role
from circles.demo.content import (
    AGE_BANDS,
    CAREER_PATHS,
    COMMUNITY_DESCRIPTION,
    COMMUNITY_NAME,
    FIRST_NAMES,
    GOAL_NOTES,
    GROUP_NAMES,
    INTERESTS,
    LAST_NAMES,
    ORGANISATIONS,
    PROGRAMME_SLOTS,
    SLOT_MINUTES,
    TOPICS,
)
from circles.errors import Conflict
from circles.members.accounts import check_password, hash_password, normalise_email
from circles.members.availability import local_windows, week_of
from circles.members.profiles import (
    add_availability,
    add_boundary,
    add_learning_goal,
    add_question,
    add_strength,
    add_success_criterion,
    check_timezone,
    format_clock,
    update_profile,
)
from circles.members.topics import add_topic
from circles.models import (
    Circle,
    CircleMember,
    CircleSession,
    Community,
    Membership,
    Tie,
    User,
    utcnow,
)
from circles.models.profiles import LEVELS
from circles.network.ties import add_tie, declare_tie
from circles.sessions.meetings import report

DEMO_DOMAIN = "demo.circles.example"
DEMO_PASSWORD = "circles-demo"
KICK_OFF_DAYS = 7  # the demo circles met a week ago
PROGRAMME_DAYS = 60  # and the programme began two months ago
FACILITATOR_EMAIL = f"facilitator@{DEMO_DOMAIN}"
PER_DEPARTMENT = 5
FACILITATOR_DEPARTMENTS = ("People & Culture", "Research Office")
CIRCLE_SIZES = (4, 4, 4, 2, 2, 2)
DECLARED_TIES = 12


class Person(NamedTuple):
    name: str
    email: str
    organisation: str
    department: str
    title: str
    timezone: str


def database_is_empty(db: Session) -> bool:
    return db.scalar(select(User.id).limit(1)) is None


def demo_logins(db: Session) -> list[tuple[str, str, str]]:
    """``(email, password, role)`` of the lead facilitator and two members of one circle,
    or nothing when the demo is not loaded."""
    lead_id = db.scalar(select(User.id).where(User.email == FACILITATOR_EMAIL))
    if lead_id is None:
        return []
    community_id = db.scalar(
        select(Membership.community_id).join(Community)
        .where(Membership.user_id == lead_id, Community.name == COMMUNITY_NAME)
    )
    circle_id = db.scalar(
        select(Circle.id).where(Circle.community_id == community_id, Circle.kind == "group")
        .order_by(Circle.id).limit(1)
    )
    members = db.scalars(
        select(User.email).join(CircleMember, CircleMember.user_id == User.id)
        .where(CircleMember.circle_id == circle_id, CircleMember.left_at.is_(None))
        .order_by(CircleMember.id).limit(2)
    )
    return [(FACILITATOR_EMAIL, DEMO_PASSWORD, "facilitator")] + [
        (email, DEMO_PASSWORD, "member") for email in members
    ]


def load_demo(db: Session, *, seed: int = 7) -> None:
    """Create the demo community: ~60 members of 4 organisations, ties, vocabulary, circles."""
    rng = random.Random(seed)
    people = _people(rng)
    taken = db.scalar(select(User.email).where(User.email.in_([p.email for p in people])).limit(1))
    if taken is not None:
        raise Conflict(f"The demo community is already loaded ({taken} exists).")
    check_password(DEMO_PASSWORD)
    password_hash = hash_password(DEMO_PASSWORD)
    users = [_account(db, person, password_hash) for person in people]
    facilitators = [u for u, p in zip(users, people, strict=True)
                    if p.department in FACILITATOR_DEPARTMENTS][::PER_DEPARTMENT]
    community = create_community(db, facilitators[0], name=COMMUNITY_NAME,
                                 description=COMMUNITY_DESCRIPTION)
    for topic in TOPICS:
        add_topic(db, community.id, topic.label)
    community.memberships.extend(
        Membership(user=user, role="member") for user in users if user is not facilitators[0]
    )
    db.flush()
    for extra in facilitators[1:]:
        set_role(db, community, extra.id, "facilitator")
    today = date.today()
    with db.no_autoflush:  # profile items are checked in memory; one flush at the end
        for user, person in zip(users, people, strict=True):
            _profile(db, rng, user, person, today)
    db.flush()
    known = _ties(db, rng, community, users, people)
    _started_weeks_ago(db, community, users)
    peers = [u for u in users if u not in facilitators]
    _circles(db, rng, community, facilitators[0], peers, known)


def _started_weeks_ago(db: Session, community: Community, users: list[User]) -> None:
    """The programme began before its circles: the community, its memberships and the ties
    people brought date from then (so they are not "new this round")."""
    began = utcnow() - timedelta(days=PROGRAMME_DAYS)
    community.created_at = began
    for membership in community.memberships:
        membership.joined_at = began
    ids = [u.id for u in users]
    for tie in db.scalars(select(Tie).where(Tie.low_id.in_(ids), Tie.high_id.in_(ids))):
        tie.created_at = began
    db.flush()


def _email_part(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.replace("ı", "i")).encode("ascii", "ignore")
    return re.sub(r"[^a-z-]", "", folded.decode().lower())


def _people(rng: random.Random) -> list[Person]:
    """Five invented people per department; the first of People & Culture leads the demo."""
    first_names = rng.sample(FIRST_NAMES, len(FIRST_NAMES))
    people: list[Person] = []
    for organisation in ORGANISATIONS:
        for department, titles in organisation.departments.items():
            for n in range(PER_DEPARTMENT):
                first, last = first_names.pop(), rng.choice(LAST_NAMES)
                local = f"{_email_part(first)}.{_email_part(last)}"
                if n == 0 and department == FACILITATOR_DEPARTMENTS[0]:
                    local = "facilitator"
                timezone = organisation.timezones[0]
                if len(organisation.timezones) > 1 and rng.random() < 0.4:
                    timezone = rng.choice(organisation.timezones[1:])
                people.append(Person(f"{first} {last}", f"{local}@{DEMO_DOMAIN}",
                                     organisation.name, department, titles[n % len(titles)],
                                     timezone))
    return people


def _account(db: Session, person: Person, password_hash: str) -> User:
    """An account checked like a sign-up, with the shared, already hashed demo password."""
    check_timezone(person.timezone)
    user = User(email=normalise_email(person.email), password_hash=password_hash,
                display_name=person.name, timezone=person.timezone,
                email_verified_at=utcnow(),  # demo addresses: nobody can click a link there
                # Known to be empty: set so that no empty list is lazy-loaded later.
                strengths=[], questions=[], learning_goals=[], boundaries=[],
                success_criteria=[], availability=[])
    db.add(user)
    return user


def _profile(db: Session, rng: random.Random, user: User, person: Person, today: date) -> None:
    """Strengths, questions, goals, a boundary now and then, a success criterion, windows."""
    consent = rng.random() < 0.5
    update_profile(db, user, {
        "display_name": person.name, "organisation": person.organisation,
        "department": person.department, "timezone": person.timezone,
        "bio": f"{person.title}, {person.department}. {rng.choice(INTERESTS)}",
        "background_consent": consent,
        "career_path": rng.choice(CAREER_PATHS) if consent else "",
        "age_band": rng.choice(AGE_BANDS) if consent else "",
    })
    strengths = rng.sample(TOPICS, rng.randint(2, 4))
    for topic in strengths:
        add_strength(db, user, topic=topic.label, offer=topic.offer,
                     level=rng.choices(LEVELS, weights=(2, 5, 3))[0])
    others = [t for t in TOPICS if t not in strengths]
    wanted = rng.sample(others, rng.randint(1, 3))
    for topic in wanted:
        add_question(db, user, text=rng.choice(topic.questions), topic=topic.label)
    for topic in wanted[: rng.randint(1, 2)]:
        add_learning_goal(db, user, topic=topic.label, note=rng.choice(GOAL_NOTES))
    if rng.random() < 0.3:
        boundary = rng.choice([t for t in others if t not in wanted])
        add_boundary(db, user, topic=boundary.label)
    add_success_criterion(db, user, text=wanted[0].success,
                          target_date=today + timedelta(days=rng.randint(91, 183)), today=today)
    # Programme-style availability: each member can make some of the programme's slots,
    # entered in their own time zone (so circles across time zones share real hours).
    slots = rng.sample(PROGRAMME_SLOTS, rng.randint(3, 4))
    for weekday, start, end in local_windows(slots, SLOT_MINUTES, user.timezone,
                                             monday=week_of(today)):
        add_availability(db, user, weekday=weekday, start=format_clock(start),
                         end=format_clock(end))


def _ties(db: Session, rng: random.Random, community: Community, users: list[User],
          people: list[Person]) -> set[frozenset[int]]:
    """Everyone knows their own department (imported); a few know someone elsewhere (declared)."""
    known: set[frozenset[int]] = set()
    teams: dict[str, list[User]] = {}
    for user, person in zip(users, people, strict=True):
        teams.setdefault(f"{person.organisation}/{person.department}", []).append(user)
    for team in teams.values():
        for a, b in itertools.combinations(team, 2):
            add_tie(db, a.id, b.id, source="imported", community_id=community.id)
            known.add(frozenset((a.id, b.id)))
    declared = 0
    while declared < DECLARED_TIES:
        a, b = rng.sample(users, 2)
        if frozenset((a.id, b.id)) not in known:  # everyone in a team is known already
            declare_tie(db, a, community, b.id)
            known.add(frozenset((a.id, b.id)))
            declared += 1
    return known


def _circles(db: Session, rng: random.Random, community: Community, creator: User,
             peers: list[User], known: set[frozenset[int]]) -> None:
    """Pairs and groups of strangers, each member from a different organisation."""
    pool = rng.sample(peers, len(peers))
    for number, size in enumerate(CIRCLE_SIZES):
        chosen: list[User] = []
        for user in pool:
            if len(chosen) == size:
                break
            if all(user.organisation != c.organisation
                   and frozenset((user.id, c.id)) not in known for c in chosen):
                chosen.append(user)
        if len(chosen) < size:
            raise RuntimeError("not enough strangers left to form the demo circles")
        pool = [u for u in pool if u not in chosen]
        name = GROUP_NAMES[number % len(GROUP_NAMES)] if size > 2 else ""
        circle = create_circle(db, community, creator, name=name,
                               member_ids=[u.id for u in chosen])
        _kick_off(db, circle, chosen)


def _kick_off(db: Session, circle: Circle, members: list[User]) -> None:
    """The circle was formed two weeks ago and met for its kick-off last week, as its members
    confirmed: a demo of a programme under way, whose circle ties count (they have met)."""
    now = utcnow()
    circle.created_at = now - timedelta(days=KICK_OFF_DAYS + 7)
    for seat in circle.seats:
        seat.joined_at = circle.created_at
    kick_off = CircleSession(circle=circle, starts_at=now - timedelta(days=KICK_OFF_DAYS),
                             title="Kick-off")
    db.add(kick_off)
    db.flush()
    report(db, members[0], kick_off.id, met=True, attended=[u.id for u in members], now=now)
