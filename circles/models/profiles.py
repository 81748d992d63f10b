"""What a member brings and what they are working on: the seed of formation."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from circles.models.base import Base, Timestamped

if TYPE_CHECKING:
    from circles.models.accounts import User

LEVELS = ("emerging", "practised", "expert")


class _ProfileItem(Timestamped):
    """Columns every list on a profile shares: owner and display order."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    @declared_attr
    def user_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class _Topical(_ProfileItem):
    """A profile item about a vocabulary topic; ``topic_key`` is its normalised form."""

    topic: Mapped[str] = mapped_column(String(80))
    topic_key: Mapped[str] = mapped_column(String(80))


class Strength(_Topical, Base):
    __tablename__ = "strength"
    __table_args__ = (UniqueConstraint("user_id", "topic_key"),)
    offer: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(16), default="practised")
    user: Mapped[User] = relationship(back_populates="strengths")


class Question(_ProfileItem, Base):
    """A question the member is working on now; the agenda is built from these."""

    __tablename__ = "question"
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(80), default="")
    topic_key: Mapped[str] = mapped_column(String(80), default="")
    user: Mapped[User] = relationship(back_populates="questions")


class LearningGoal(_Topical, Base):
    __tablename__ = "learning_goal"
    __table_args__ = (UniqueConstraint("user_id", "topic_key"),)
    note: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[User] = relationship(back_populates="learning_goals")


class Boundary(_Topical, Base):
    """A topic the member cannot advise on; it cancels a match on that topic."""

    __tablename__ = "boundary"
    __table_args__ = (UniqueConstraint("user_id", "topic_key"),)
    user: Mapped[User] = relationship(back_populates="boundaries")


class SuccessCriterion(_ProfileItem, Base):
    """What would make this worthwhile, by when."""

    __tablename__ = "success_criterion"
    text: Mapped[str] = mapped_column(Text)
    target_date: Mapped[date]
    # Private by default; when shared, the member's circles see it and its check-ins.
    shared: Mapped[bool] = mapped_column(default=False, server_default=false())
    user: Mapped[User] = relationship(back_populates="success_criteria")


class Availability(_ProfileItem, Base):
    """A weekly window in the member's own time zone, in minutes after midnight."""

    __tablename__ = "availability"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND end_minute <= 1440", name="minute_range"),
        CheckConstraint("start_minute < end_minute", name="start_before_end"),
    )
    weekday: Mapped[int]  # 0 = Monday
    start_minute: Mapped[int]
    end_minute: Mapped[int]
    user: Mapped[User] = relationship(back_populates="availability")
