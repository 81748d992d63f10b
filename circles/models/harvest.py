"""The harvest: what a member was offered in their round, kept for them alone.

When a session ends, every question, story, resource and idea offered to the person helped in
a round is copied here for that person (``circles.growth.harvest``). The copy is theirs: it
stays when the session's log is dropped, it is in their export, it goes with their account.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped


class HarvestItem(Timestamped, Base):
    """One contribution offered to ``user_id`` in a round of ``session_id``."""

    __tablename__ = "harvest_item"
    __table_args__ = (UniqueConstraint("user_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("circle_session.id", ondelete="CASCADE"), index=True)
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contribution.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True)
    round_title: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    helped: Mapped[bool] = mapped_column(default=False)
