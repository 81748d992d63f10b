"""Pulse checks: "Is this circle working for you?" — a score and a comment only its author reads."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped


class Pulse(Timestamped, Base):
    """One member's answer; ``session_id`` is set when it followed that session."""

    __tablename__ = "pulse"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("circle_session.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[int]
    # Private to the author: never shown to the circle, its facilitators or site admins.
    comment: Mapped[str] = mapped_column(Text, default="")
