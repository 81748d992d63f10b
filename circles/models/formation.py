"""Formation runs (a planned set of circles awaiting publication) and facilitator separations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped

STATUSES = ("draft", "published", "discarded")


class FormationRun(Timestamped, Base):
    """One attempt at forming circles: parameters, the plan per round, and its figures.

    ``plan`` is ``{"rounds": [[[user_id, ...], ...], ...]}``; publishing turns one round at a
    time into circles (see ``circles.formation.preview``), later rounds stay planned here.
    """

    __tablename__ = "formation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    locked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    excluded: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None]


class Separation(Timestamped, Base):
    """A facilitator's "must not be grouped": stored once per pair with ``low_id < high_id``."""

    __tablename__ = "separation"
    __table_args__ = (
        UniqueConstraint("community_id", "low_id", "high_id"),
        CheckConstraint("low_id < high_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    low_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    high_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
