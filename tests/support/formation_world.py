"""A small community for formation tests, built through the domain functions real input uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from circles.communities.community import create_community
from circles.members.profiles import (
    add_availability,
    add_boundary,
    add_learning_goal,
    add_question,
    add_strength,
    format_clock,
)
from circles.models import Community, Membership, User
from circles.network.ties import add_tie

MONDAY_1700_UTC = [(0, 17 * 60, 19 * 60)]  # a window everyone in UTC shares by default


def person(db: Session, community: Community, name: str, *, org: str = "", dept: str = "",
           tz: str = "UTC", strengths: Iterable[str] = (), questions: Iterable[tuple[str, str]] = (),
           goals: Iterable[str] = (), boundaries: Iterable[str] = (),
           windows: Iterable[tuple[int, int, int]] = (), role: str = "member",
           **profile: Any) -> User:
    """A member of ``community`` with the given profile; questions are (topic, text)."""
    user = User(email=f"{name.lower().replace(' ', '.')}@example.org", display_name=name,
                timezone=tz, organisation=org, department=dept, strengths=[], questions=[],
                learning_goals=[], boundaries=[], success_criteria=[], availability=[], **profile)
    db.add(user)
    community.memberships.append(Membership(user=user, role=role))
    db.flush()
    for topic in strengths:
        add_strength(db, user, topic=topic)
    for topic, text in questions:
        add_question(db, user, text=text, topic=topic)
    for topic in goals:
        add_learning_goal(db, user, topic=topic)
    for topic in boundaries:
        add_boundary(db, user, topic=topic)
    for weekday, start, end in windows:
        add_availability(db, user, weekday=weekday, start=format_clock(start), end=format_clock(end))
    db.flush()
    return user


def community_with(db: Session, name: str = "Formation cohort") -> tuple[Community, User]:
    """A community and its facilitator (who is not placed in circles)."""
    lead = User(email=f"lead.{name.lower().replace(' ', '-')}@example.org", display_name="Lead",
                timezone="UTC")
    db.add(lead)
    db.flush()
    return create_community(db, lead, name=name), lead


def teams(db: Session, community: Community, sizes: list[int], **common: Any) -> list[list[User]]:
    """Teams from different organisations; everyone is tied to their own team."""
    made: list[list[User]] = []
    for t, size in enumerate(sizes):
        team = [person(db, community, f"T{t} Member{k}", org=f"Org {t}", dept=f"Dept {t}", **common)
                for k in range(size)]
        for i, a in enumerate(team):
            for b in team[i + 1:]:
                add_tie(db, a.id, b.id, source="imported", community_id=community.id)
        made.append(team)
    return made
