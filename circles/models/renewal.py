"""Renew or remix: at the end of a circle's cycle each member privately chooses to renew the
circle or to meet new people (``circles.communities.renewal``)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped

CHOICES = ("renew", "remix")


class RenewalChoice(Timestamped, Base):
    """One member's choice at the end of cycle ``cycle_no`` of a circle; only they read it."""

    __tablename__ = "renewal_choice"
    __table_args__ = (UniqueConstraint("circle_id", "user_id", "cycle_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    cycle_no: Mapped[int]
    choice: Mapped[str] = mapped_column(String(8))
