"""People outside the platform a member turns to for advice: private to that member."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from circles.models.base import Base, Timestamped

CONTEXTS = {
    "employer": "Employer",
    "former_employer": "Former employer",
    "school": "School",
    "community": "Community",
    "professional_association": "Professional association",
    "other": "Other",
}
SUPPORT_KINDS = {
    "career": "Career",
    "psychosocial": "Psychosocial",
    "role_model": "Role model",
}


class ExternalContact(Timestamped, Base):
    """Someone outside Circles who supports the owner; only the owner ever sees it."""

    __tablename__ = "external_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    context: Mapped[str] = mapped_column(String(32))
    context_name: Mapped[str] = mapped_column(String(120), default="")
    # A non-empty subset of SUPPORT_KINDS, in that order.
    support: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def system(self) -> str:
        """The social system the contact belongs to, e.g. "Former employer: Initech"."""
        label = CONTEXTS.get(self.context, self.context)
        return f"{label}: {self.context_name}" if self.context_name else label
