"""Communities (programmes or cohorts), their members and their topic vocabulary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.accounts import User
from circles.models.base import Base, Timestamped, utcnow

ROLES = ("member", "facilitator")


class Community(Timestamped, Base):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # The language for members who chose none, and for e-mails to them; "" → English.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    # How many people joined through the invite link: a counter many requests increment.
    invite_uses: Mapped[int] = mapped_column(default=0)
    # Formation weights chosen by its facilitators; missing keys fall back to the defaults.
    formation_weights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A code of conduct members accept on joining (none asked for when empty).
    conduct: Mapped[str] = mapped_column(Text, default="", server_default="")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="community", cascade="all, delete-orphan"
    )
    topics: Mapped[list[Topic]] = relationship(
        back_populates="community", cascade="all, delete-orphan", order_by="Topic.label"
    )


class Membership(Base):
    """A user's place in a community, with their role there."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether formation places them in its next round; a member who called it a day may
    # ask for a break instead.
    wants_rematch: Mapped[bool] = mapped_column(default=True, server_default=true())
    # One of the community's safety contacts, who read the concerns members report.
    safety_contact: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When they accepted the community's code of conduct (None: never asked, or before one).
    conduct_accepted_at: Mapped[datetime | None]

    community: Mapped[Community] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Topic(Base):
    """One entry of a community's vocabulary; ``key`` is the normalised label."""

    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("community_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(80))

    community: Mapped[Community] = relationship(back_populates="topics")


class TopicAlias(Base):
    """A facilitator's mapping of a topic members typed (``key``, normalised) to one of the
    community's own topics, so formation counts it as that topic."""

    __tablename__ = "topic_alias"
    __table_args__ = (UniqueConstraint("community_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))

    topic: Mapped[Topic] = relationship()


class Invitation(Base):
    """A facilitator's invitation of an existing account into a community (a CSV import row
    whose address already has an account): nothing is added until the person accepts."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    # The link's secret (as in /claim/<token>): only the invited account can open it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Ties the import declared with this person, applied only if they accept.
    tie_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime | None]
    accepted: Mapped[bool | None]

    community: Mapped[Community] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
