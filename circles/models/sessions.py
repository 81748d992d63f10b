"""Scheduled sessions of a circle and the roles members hold in them.

A session is one meeting of a circle (one-off, or one of a ``SessionSeries`` cadence). Its
live state — phases, stages, agenda, contributions — lives in ``circles.models.live`` and
hangs off the session; ``version`` is bumped by every change to that live state.

A session has a place (a video-call link, a room or address, or both) and, when it was not
run in the live room, an answer to "did your circle meet?": ``ended`` with the attendance
members confirmed, or ``missed`` (``circles.sessions.meetings``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.accounts import User
from circles.models.base import Base, Timestamped
from circles.models.circles import Circle

#: ``missed``: its time passed and a member said the circle did not meet.
SESSION_STATUSES = ("scheduled", "live", "ended", "cancelled", "missed")
VIDEO_URL_MAX = 500  # long enough for the links of the big video services
LOCATION_MAX = 200
ROLES = ("facilitator", "timekeeper", "note_taker")
CADENCES = ("weekly", "fortnightly", "monthly")
#: How a session runs (circles/live/formats.py): "circle" is the circle's own phase order;
#: the others are peer-consulting structures whose rounds rotate a client or focus person.
FORMATS = ("circle", "wise_crowds", "troika", "clearness", "action_learning")
FORMAT_NAMES = {"circle": "Our circle's phases", "wise_crowds": "Wise Crowds",
                "troika": "Troika Consulting", "clearness": "Clearness committee",
                "action_learning": "Action learning set"}
WRITEUP_MAX = 3000


class SessionSeries(Timestamped, Base):
    """A cadence that produced several sessions (kept so the cadence can be shown/changed)."""

    __tablename__ = "session_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    cadence: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))  # the local time the cadence keeps
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class CircleSession(Timestamped, Base):
    """One meeting of a circle: when (UTC), how long, and where its live state stands."""

    __tablename__ = "circle_session"
    __table_args__ = (CheckConstraint("duration_minutes > 0", name="positive_duration"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_series.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=0)
    # iCalendar SEQUENCE: bumped when the time or status changes, so calendar apps update.
    sequence: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Where the circle meets; either may be empty (circles.sessions.places).
    video_url: Mapped[str] = mapped_column(String(VIDEO_URL_MAX), default="", server_default="")
    location: Mapped[str] = mapped_column(String(LOCATION_MAX), default="", server_default="")
    # Who first answered "did your circle meet?" for a session not run in the live room.
    reported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime | None]
    # The format chosen when it was planned; a clearness committee's focus person is known
    # ahead, so their write-up can reach the circle before the session.
    format: Mapped[str] = mapped_column(String(16), default="circle", server_default="circle")
    focus_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    writeup: Mapped[str] = mapped_column(Text, default="", server_default="")

    circle: Mapped[Circle] = relationship()
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    focus_person: Mapped[User | None] = relationship(foreign_keys=[focus_person_id])
    roles: Mapped[list[SessionRole]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionRole.role"
    )


class SessionRole(Base):
    """Who holds a rotating role in a session; ``user_id`` None means the role is vacant."""

    __tablename__ = "session_role"
    __table_args__ = (UniqueConstraint("session_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # A pending swap its holder proposed: exchange this role with ``swap_with``'s holder once
    # that person accepts. ``swap_proposed_by_id`` pins who proposed, so a proposal dies
    # with any change of holder on either side.
    swap_with_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_role.id", ondelete="SET NULL"), index=True
    )
    swap_proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )

    session: Mapped[CircleSession] = relationship(back_populates="roles")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    swap_with: Mapped[SessionRole | None] = relationship(
        remote_side=[id], foreign_keys=[swap_with_id]
    )


class SessionPlan(Timestamped, Base):
    """One "plan a session" form as it was sent: the key the form was shown with, and the
    first session it planned. The same form sent again (a double click, a retried POST,
    four tabs at once) finds this row instead of planning its sessions a second time."""

    __tablename__ = "session_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    # Set in the transaction that plans the sessions; the plan goes with its first session.
    first_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
