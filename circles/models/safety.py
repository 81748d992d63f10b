"""Keeping members safe: blocks between two members and concerns reported to a community's
safety contacts (who are marked on their ``Membership``)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped

MAX_CONCERN = 4000


class Block(Timestamped, Base):
    """``blocker_id`` blocked ``blocked_id``: never grouped or introduced again, and neither
    sees the other's profile. Only the blocker can lift it."""

    __tablename__ = "block"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),
                      CheckConstraint("blocker_id <> blocked_id", name="not_self"))

    id: Mapped[int] = mapped_column(primary_key=True)
    blocker_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class ConcernReport(Timestamped, Base):
    """A concern a member raised with their community's safety contacts: what they wrote and
    who it is about — never any session content."""

    __tablename__ = "concern_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text)
