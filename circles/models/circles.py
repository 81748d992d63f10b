"""Circles (pairs and small groups) and the history of who was in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.accounts import User
from circles.models.base import Base, Timestamped, utcnow
from circles.models.communities import Community

KINDS = ("pair", "group")


class Circle(Timestamped, Base):
    __tablename__ = "circle"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    # Set when the circle came from a published formation run (None when formed by hand).
    formation_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("formation_run.id", ondelete="SET NULL"), index=True
    )
    round_no: Mapped[int | None]
    # Renew or remix: sessions in a cycle (None: no cycles), and how many cycles everyone
    # renewed (a renewed circle is kept intact by formation).
    cycle_sessions: Mapped[int | None]
    renewed_cycles: Mapped[int] = mapped_column(default=0, server_default="0")
    renewed_at: Mapped[datetime | None]

    community: Mapped[Community] = relationship()
    seats: Mapped[list[CircleMember]] = relationship(
        back_populates="circle", cascade="all, delete-orphan", order_by="CircleMember.joined_at"
    )

    @property
    def current_seats(self) -> list[CircleMember]:
        return [seat for seat in self.seats if seat.left_at is None]


class CircleMember(Base):
    """One stay of a member in a circle: joined, and (later) left and why."""

    __tablename__ = "circle_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    left_reason: Mapped[str] = mapped_column(Text, default="")

    circle: Mapped[Circle] = relationship(back_populates="seats")
    user: Mapped[User] = relationship()
