"""What formation knows about each member, flattened from their profile: background,
strengths (less their boundaries), questions and learning goals weighted by order, and
weekly hours as meeting slots. Topic keys a community mapped count as its own topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from circles.members.availability import always, slot_mask, weekly_utc
from circles.members.profiles import BACKGROUND_FIELDS
from circles.models import User

#: Need weights: the member's first question counts 1, each later one ``LATER`` of the one
#: before; learning goals count ``GOAL_SHARE`` of a question in the same place.
LATER = 0.3


GOAL_SHARE = 0.3


@dataclass
class MemberFacts:
    """What formation knows about one member, flattened from their profile."""

    id: int
    name: str
    organisation: str
    department: str
    background: dict[str, str]
    strengths: dict[str, str]  # topic key -> label, minus the member's boundaries
    goals: dict[str, str]  # learning-goal topic key -> label
    questions: list[tuple[str, str, str]]  # (topic key, topic label, text), top first
    mask: np.ndarray = field(repr=False)
    has_availability: bool = True
    goal_order: list[str] = field(default_factory=list)  # learning-goal topic keys, in order

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    @property
    def top_topic(self) -> str:
        """The topic key of the member's top (first) question, or "" when it has none."""
        return self.questions[0][0] if self.questions else ""

    @property
    def needs(self) -> set[str]:
        return {key for key, _, _ in self.questions if key} | set(self.goals)

    @property
    def department_key(self) -> tuple[str, str]:
        return (self.organisation, self.department)

    @property
    def weighted_needs(self) -> dict[str, float]:
        """Each needed topic with its weight: questions 1, 0.3, 0.09 … in order, learning goals
        0.3 of that; a topic asked twice counts at its highest weight.

        >>> facts = MemberFacts(1, "A", "", "", {}, {}, {"b": "B"}, [("a", "A", "?"), ("b", "B", "?")],
        ...                     mask=always(), goal_order=["b"])
        >>> facts.weighted_needs
        {'a': 1.0, 'b': 0.3}
        """
        weights: dict[str, float] = {}
        keys = [(key, 1.0) for key, _, _ in self.questions] + \
            [(key, GOAL_SHARE) for key in (self.goal_order or list(self.goals))]
        place: dict[float, int] = {}
        for key, share in keys:
            rank = place.get(share, 0)
            place[share] = rank + 1
            if key:
                weights[key] = max(weights.get(key, 0.0), share * LATER ** rank)
        return weights


def load_members(db: Session, member_ids: list[int], *, monday: date,
                 aliases: dict[str, str] | None = None) -> list[MemberFacts]:
    """Facts for the given members, in the given order (one query per profile list); topic
    keys a community mapped to one of its own (``aliases``) count as that topic."""
    users = {u.id: u for u in db.scalars(
        select(User).where(User.id.in_(member_ids)).options(
            selectinload(User.strengths), selectinload(User.questions),
            selectinload(User.learning_goals), selectinload(User.boundaries),
            selectinload(User.availability)))}
    return [_facts(users[uid], monday, aliases or {}) for uid in member_ids]


def _facts(user: User, monday: date, aliases: dict[str, str]) -> MemberFacts:
    def key(raw: str) -> str:
        return aliases.get(raw, raw)

    boundaries = {key(b.topic_key) for b in user.boundaries}
    windows = [(w.weekday, w.start_minute, w.end_minute) for w in user.availability]
    background = {k: str(v) for k, v in (user.background or {}).items()
                  if user.background_consent and k in BACKGROUND_FIELDS and v}
    return MemberFacts(
        id=user.id, name=user.display_name, organisation=user.organisation.strip(),
        department=user.department.strip(), background=background,
        strengths={key(s.topic_key): s.topic for s in user.strengths
                   if key(s.topic_key) not in boundaries},
        goals={key(g.topic_key): g.topic for g in user.learning_goals},
        questions=[(key(q.topic_key) if q.topic_key else "", q.topic, q.text)
                   for q in user.questions],
        mask=slot_mask(weekly_utc(windows, user.timezone, monday)) if windows else always(),
        has_availability=bool(windows),
        goal_order=[key(g.topic_key) for g in user.learning_goals],
    )
