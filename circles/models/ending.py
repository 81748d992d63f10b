"""Ending well: a leaver's private reason, consent to be grouped again, closing reflections."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.accounts import User
from circles.models.base import Base, Timestamped
from circles.models.circles import Circle, CircleMember

MAX_REFLECTION = 1000


class Departure(Timestamped, Base):
    """Why a member called it a day; only the member who left ever reads ``reason``."""

    __tablename__ = "departure"

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(
        ForeignKey("circle_member.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    seat: Mapped[CircleMember] = relationship()


class RegroupConsent(Timestamped, Base):
    """``user`` is open to sharing a circle with ``other`` again after ``circle`` ended between
    them; formation allows the pair only when both have said so."""

    __tablename__ = "regroup_consent"
    __table_args__ = (UniqueConstraint("circle_id", "user_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))


class ClosingReflection(Timestamped, Base):
    """One member's words at a circle's close, read by the circle's members only."""

    __tablename__ = "closing_reflection"
    __table_args__ = (UniqueConstraint("circle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    learned: Mapped[str] = mapped_column(Text, default="")
    appreciated: Mapped[str] = mapped_column(Text, default="")

    circle: Mapped[Circle] = relationship()
    user: Mapped[User] = relationship()
