"""The live state of a session: phases → stages (Parabol's shape) and what members add to them.

Everything a live room shows is a row here, so a reconnecting client (or another server
process) rebuilds the room from the database alone; ``CircleSession.version`` is bumped by
every change to it. Commitments belong to the circle, not the session, because they are
reviewed in the *next* session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.base import Base, Timestamped, utcnow

PHASE_KINDS = ("checkin", "review", "agenda", "focus", "feedback", "commitments", "close")
STEP_STATUSES = ("pending", "active", "done")
CONTRIBUTION_KINDS = (
    "question", "story", "resource", "idea", "checkin", "appreciation", "reflection",
)
COMMITMENT_STATUSES = ("open", "kept", "partly", "missed", "dropped")
#: The phase of a session run in a format other than the circle's own: one round per client.
ROUNDS = "rounds"
SHARED_NOTE = 0  # ``Note.slot`` of the one shared note; a private note's slot is its author's id


class CirclePhaseOrder(Base):
    """A circle's own order of phases (skipped ones left out), as comma-separated kinds."""

    __tablename__ = "circle_phase_order"

    circle_id: Mapped[int] = mapped_column(
        ForeignKey("circle.id", ondelete="CASCADE"), primary_key=True
    )
    phases: Mapped[str] = mapped_column(String(120))

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in self.phases.split(",") if kind]


class SessionPhase(Base):
    """One phase of a live session, copied from the circle's order when it starts."""

    __tablename__ = "session_phase"
    __table_args__ = (UniqueConstraint("session_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default="pending")
    prompt: Mapped[str] = mapped_column(String(200), default="")
    #: Troika Consulting's trios (member ids), one list per trio; None in other phases.
    trios: Mapped[list[list[int]] | None] = mapped_column(JSON)

    stages: Mapped[list[SessionStage]] = relationship(
        back_populates="phase", cascade="all, delete-orphan", order_by="SessionStage.position"
    )


class SessionStage(Base):
    """A step of a phase: one member's turn, one agenda item's focus round, or the whole phase.

    The timer is absolute: ``ends_at`` (UTC) while running, ``paused_remaining_ms`` while
    paused, neither when idle — clients count down against the server's clock.
    """

    __tablename__ = "session_stage"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(
        ForeignKey("session_phase.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default="pending")
    focus_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    ends_at: Mapped[datetime | None]
    paused_remaining_ms: Mapped[int | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # A format's round (circles/live/formats.py): its number, its step ("present",
    # "clarify", "discuss", …), the step's planned length and the round's recorder.
    round: Mapped[int | None]
    step: Mapped[str | None] = mapped_column(String(16))
    seconds: Mapped[int | None]
    recorder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # When the stage was active, for airtime (circles/live/airtime.py).
    began_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    phase: Mapped[SessionPhase] = relationship(back_populates="stages")


class AgendaItem(Timestamped, Base):
    __tablename__ = "agenda_item"
    __table_args__ = (
        CheckConstraint("timebox_minutes BETWEEN 1 AND 60", name="timebox_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    timebox_minutes: Mapped[int] = mapped_column(default=10)
    source_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL")
    )
    covered: Mapped[bool] = mapped_column(default=False)
    # The item of an earlier session this one was carried over from (not reached there).
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"))


class Contribution(Timestamped, Base):
    """What a member adds to a stage; ``helped`` is set only by the stage's focus member."""

    __tablename__ = "contribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("session_stage.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    helped: Mapped[bool] = mapped_column(default=False)
    #: Troika: the trio it was said in (only that trio reads it); None for the whole room.
    trio: Mapped[int | None]
    #: Set when the facilitator stopped it (advice in disguise in a clearness committee):
    #: hidden from the room, its author told.
    stopped_at: Mapped[datetime | None]


class Feedback(Timestamped, Base):
    """One member's feedback to another in a session; only the receiver ever reads it."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("session_id", "giver_id", "receiver_id"),
        CheckConstraint("giver_id <> receiver_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    giver_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    strength: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str] = mapped_column(Text)


class Commitment(Timestamped, Base):
    """What a member will do by when, made in one session and reviewed in a later one."""

    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(ForeignKey("circle.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(8), default="open")
    reflection: Mapped[str] = mapped_column(Text, default="")
    reviewed_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("circle_session.id", ondelete="SET NULL")
    )


class Note(Base):
    """The shared note of a session (``slot`` 0) or one member's private note (``slot`` = id).

    ``version`` guards autosave: a save based on an older version is refused, not merged.
    """

    __tablename__ = "note"
    __table_args__ = (UniqueConstraint("session_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[int]
    private: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(Base):
    """A member's attendance of a session, with their room state (ready, raised hand), or
    as confirmed afterwards for a meeting outside the live room (``confirmed_by_id``)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    ready: Mapped[bool] = mapped_column(default=False)
    hand_raised_at: Mapped[datetime | None]
    # Who said this member was there, for a meeting confirmed afterwards; None when the
    # member joined the live room themselves.
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))


class Presence(Base):
    """One open connection (Socket.IO sid) of a member in a session's room."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("session_id", "sid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    sid: Mapped[str] = mapped_column(String(64), index=True)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The server process holding the connection (``LiveProcess.id``): when that process
    #: dies without closing its sockets, its rows are swept away by the others.
    process_id: Mapped[str | None] = mapped_column(String(32), index=True)


class LiveProcess(Base):
    """A running server process that holds live connections, with its last heartbeat."""

    __tablename__ = "live_process"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveEvent(Base):
    """One numbered change to a session's live state: what ``live:changed`` broadcast, with
    ``seq`` as its ``version``. Written in the change's own transaction, before the
    broadcast, so a client that missed it can fetch it again (``live:events``).

    ``op_id`` is the client's idempotency key for the event that made the change, with the
    ``result`` its ack carried, so a retry is answered from here and never applied twice.
    """

    __tablename__ = "live_event"
    __table_args__ = (UniqueConstraint("session_id", "seq"),
                      UniqueConstraint("session_id", "author_id", "op_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("circle_session.id", ondelete="CASCADE"))
    seq: Mapped[int]
    change: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    op_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleHandover(Base):
    """A role taken over from an absent holder; ``returned_at`` is set when they take it back."""

    __tablename__ = "role_handover"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    returned_at: Mapped[datetime | None]
