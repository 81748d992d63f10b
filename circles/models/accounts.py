"""Accounts and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.base import Base, Timestamped

if TYPE_CHECKING:
    from circles.models.profiles import (
        Availability,
        Boundary,
        LearningGoal,
        Question,
        Strength,
        SuccessCriterion,
    )


class User(Timestamped, Base):
    """A person with an account; their profile fields live here, their lists beside it."""

    __tablename__ = "user"
    __allow_unmapped__ = True  # for ``login_token`` below, a per-request value, not a column

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None for members imported by a facilitator who have not claimed their account yet.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language the member reads Circles in (circles/languages.py); "" → their
    # community's default, else their browser's.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # Self-described background, stored only while consent is given (formation diversity).
    background_consent: Mapped[bool] = mapped_column(default=False)
    background: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claim_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Operators of the whole site (`flask admin grant EMAIL`): they keep accounts and
    # communities running and, like facilitators, never read anything confidential.
    is_site_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Seed of the calendar feed's capability URL (an HMAC of it with SECRET_KEY); a new
    # nonce retires the old URL. None until the member asks for a feed.
    calendar_nonce: Mapped[str | None] = mapped_column(String(64))
    # When the member proved they read this address (a link sent to it, or a claim link);
    # None until then: an unverified account cannot join or be invited into a community.
    email_verified_at: Mapped[datetime | None]
    # Two-factor authentication (TOTP, RFC 6238): the base32 secret once confirmed, and the
    # SHA-256 of each unused recovery code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The time step of the last app code taken: a code is good once (RFC 6238, 5.2).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    strengths: Mapped[list[Strength]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Strength.position"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Question.position"
    )
    learning_goals: Mapped[list[LearningGoal]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="LearningGoal.position"
    )
    boundaries: Mapped[list[Boundary]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Boundary.position"
    )
    success_criteria: Mapped[list[SuccessCriterion]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="SuccessCriterion.position"
    )
    availability: Mapped[list[Availability]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        order_by="(Availability.weekday, Availability.start_minute)",
    )

    # Flask-Login: the id kept in the cookie is the login session's token, not the user id,
    # so that a session can be revoked on the server. Set per request by the user loader.
    login_token: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        if self.login_token is None:
            raise RuntimeError("user has no login session")
        return self.login_token

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class LoginSession(Base):
    """One signed-in browser; logging out revokes it, so a replayed cookie is refused."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    # The client address the login was made from, shown on "Where you're logged in".
    ip_address: Mapped[str] = mapped_column(String(45), default="", server_default="")

    user: Mapped[User] = relationship()
