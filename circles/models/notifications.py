"""Notifications: what a member is told in the app, what they want to be told, and e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped

#: What a member can be told about; each kind can be switched on or off per channel.
KINDS = ("new_circle", "upcoming_session", "commitment_due", "introduction", "feedback",
         "pulse", "at_risk", "goal_checkin", "circle_change", "not_placed", "invitation",
         "meeting_check", "harvest", "renewal", "concern")
MAX_TEXT = 300
MAX_LINK = 300


class Notification(Timestamped, Base):
    """One line in a member's notification centre; ``key`` makes a reminder idempotent."""

    __tablename__ = "notification"
    # NULL keys never clash, so only reminders and other keyed notices are deduplicated.
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    link: Mapped[str] = mapped_column(String(MAX_LINK), default="")
    key: Mapped[str | None] = mapped_column(String(120))
    read_at: Mapped[datetime | None]
    # False when the member takes this kind by e-mail only: the row is kept so that a keyed
    # reminder is still sent once, but the notification centre does not list it.
    in_app: Mapped[bool] = mapped_column(default=True)


class NotificationPreference(Base):
    """A member's choice for one kind; no row means the kind's default."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=False)


class OutboxMessage(Timestamped, Base):
    """Every e-mail is written here first; ``sent_at`` once SMTP took it, ``error`` if not."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")  # a path in the app
    sent_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    # The language the message was written in (its footer is added in it when sent); "" for
    # messages queued before this was kept: the recipient's account says, else English.
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")
