"""Goals and progress: a circle's shared goals and members' check-ins on them or on their own
success criteria (a ``SuccessCriterion`` from the profile)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.base import Base, Timestamped
from circles.models.profiles import SuccessCriterion

VISIBILITIES = ("private", "circle")


class CircleGoal(Timestamped, Base):
    """What the circle as a whole wants to reach, by when; closed once it is done with."""

    __tablename__ = "circle_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(300))
    target_date: Mapped[date]
    closed_at: Mapped[datetime | None]


class GoalCheckin(Timestamped, Base):
    """A short progress rating (1–5) and a line, on one criterion or one circle goal.

    A check-in on a criterion is seen by the member's circles only while the criterion is
    shared *and* the check-in itself is ``circle``; a circle goal's check-ins are the circle's.
    """

    __tablename__ = "goal_checkin"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("(criterion_id IS NULL) <> (circle_goal_id IS NULL)", name="one_goal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int | None] = mapped_column(
        ForeignKey("success_criterion.id", ondelete="CASCADE"), index=True
    )
    circle_goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("circle_goal.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int]
    line: Mapped[str] = mapped_column(String(300), default="")
    visibility: Mapped[str] = mapped_column(String(8), default="private")

    criterion: Mapped[SuccessCriterion | None] = relationship()
    circle_goal: Mapped[CircleGoal | None] = relationship()

    @property
    def goal_kind(self) -> str:
        return "criterion" if self.criterion_id is not None else "circle"
