"""Pulse checks: "Is this circle working for you?" — a score and a comment only its author reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped, as_utc, utcnow


def round_key(session_id: int | None, when: datetime) -> str:
    """The round an answer counts in: the session it followed, else its calendar month (UTC).

    >>> from datetime import UTC
    >>> round_key(7, datetime(2026, 3, 1, tzinfo=UTC)), round_key(None, datetime(2026, 3, 1))
    ('session:7', 'month:2026-03')
    """
    return f"session:{session_id}" if session_id is not None else f"month:{as_utc(when):%Y-%m}"


def _round_of_row(context: Any) -> str:
    """``round_key``'s default for a row inserted without one (from its own columns)."""
    values = context.get_current_parameters()
    return round_key(values.get("session_id"), values.get("created_at") or utcnow())


class Pulse(Timestamped, Base):
    """One member's answer; ``session_id`` is set when it followed that session.

    ``round_key`` names the round it counts in (``round_key()``): one answer per member per
    round, so a second answer replaces the first (``circles.growth.pulse.record_pulse``)
    and figures count each member once a round.
    """

    __tablename__ = "pulse"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
                      UniqueConstraint("circle_id", "user_id", "round_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("circle_session.id", ondelete="SET NULL"), index=True
    )
    round_key: Mapped[str] = mapped_column(String(32), default=_round_of_row)
    score: Mapped[int]
    # Private to the author: never shown to the circle, its facilitators or site admins.
    comment: Mapped[str] = mapped_column(Text, default="")
