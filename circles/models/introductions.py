"""Introductions: a member asks a mutual contact to introduce them to someone two steps away."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from circles.models.base import Base, Timestamped

if TYPE_CHECKING:
    from circles.models.accounts import User

STATUSES = ("requested", "brokered", "accepted", "declined", "withdrawn")
OPEN = ("requested", "brokered")
MAX_TEXT = 500
SHARES = ("email", "other", "none")  # what each of the two lets the other reach them by
MAX_CONTACT = 200


class Introduction(Timestamped, Base):
    """requested → brokered (the mutual contact agreed, with a note) → accepted (a tie);
    or declined / withdrawn on the way. Only the three people involved may see it."""

    __tablename__ = "introduction"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                              index=True)
    broker_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    broker_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    # "requester:target" while the request is open, NULL once it is decided: the unique
    # constraint keeps one open request per pair even when two submits race (NULLs never clash).
    open_pair: Mapped[str | None] = mapped_column(String(40), unique=True)
    brokered_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # What the requester and the person asked about let the other reach them by, once both
    # said yes: their account e-mail, another line they typed (a phone, a profile link), or
    # nothing. Nobody else ever reads it (circles/network/introduction_contacts.py).
    requester_shares: Mapped[str] = mapped_column(String(8), default="none")
    requester_contact: Mapped[str] = mapped_column(String(MAX_CONTACT), default="")
    target_shares: Mapped[str] = mapped_column(String(8), default="none")
    target_contact: Mapped[str] = mapped_column(String(MAX_CONTACT), default="")

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    broker: Mapped[User] = relationship(foreign_keys=[broker_id])
    target: Mapped[User] = relationship(foreign_keys=[target_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @staticmethod
    def pair_key(requester_id: int, target_id: int) -> str:
        return f"{requester_id}:{target_id}"
