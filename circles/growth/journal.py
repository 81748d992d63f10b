"""The growth journal: what the circles gave one member, on one page, for their eyes only.

Feedback received over time (strengths others noticed, suggestions), the harvest of their
rounds (``circles.growth.harvest``), commitments kept and progress on their own success
criteria. It is assembled for ``user`` alone: there is no way
to ask for someone else's journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.growth.goals import criterion_series
from circles.growth.harvest import HarvestRound, harvest_of
from circles.models import (
    Circle,
    CircleSession,
    Commitment,
    Feedback,
    GoalCheckin,
    SuccessCriterion,
    User,
)


@dataclass
class ReceivedFeedback:
    feedback: Feedback
    giver: User
    session: CircleSession
    circle: Circle


@dataclass
class CriterionProgress:
    criterion: SuccessCriterion
    checkins: list[GoalCheckin]

    @property
    def change(self) -> int:
        """Rating gained since the first check-in (0 with fewer than two)."""
        return self.checkins[-1].rating - self.checkins[0].rating if self.checkins else 0


@dataclass
class Journal:
    feedback: list[ReceivedFeedback] = field(default_factory=list)
    kept: list[Commitment] = field(default_factory=list)
    progress: list[CriterionProgress] = field(default_factory=list)
    harvest: list[HarvestRound] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.feedback or self.kept or self.progress or self.harvest)


def journal(db: Session, user: User) -> Journal:
    """The member's own journal, newest feedback first."""
    rows = db.execute(
        select(Feedback, User, CircleSession, Circle)
        .join(User, User.id == Feedback.giver_id)
        .join(CircleSession, CircleSession.id == Feedback.session_id)
        .join(Circle, Circle.id == CircleSession.circle_id)
        .where(Feedback.receiver_id == user.id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc()))
    book = Journal(feedback=[ReceivedFeedback(feedback, giver, session, circle)
                             for feedback, giver, session, circle in rows])
    book.kept = list(db.scalars(
        select(Commitment).where(Commitment.user_id == user.id,
                                 Commitment.status.in_(("kept", "partly")))
        .order_by(Commitment.created_at.desc(), Commitment.id.desc())))
    book.progress = [CriterionProgress(c, criterion_series(db, c))
                     for c in user.success_criteria]
    book.harvest = harvest_of(db, user)
    return book
