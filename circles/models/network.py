"""People outside the platform a member turns to for advice: private to that member."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped


class ExternalContact(Timestamped, Base):
    """Someone outside Circles who supports the owner; only the owner ever sees it."""

    __tablename__ = "external_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    context: Mapped[str] = mapped_column(String(32))  # ``circles.network.contacts.CONTEXTS``
    context_name: Mapped[str] = mapped_column(String(120), default="")
    # A non-empty subset of ``circles.network.contacts.SUPPORT_KINDS``, in that order.
    support: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
