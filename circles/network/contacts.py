"""People outside Circles a member turns to for advice: kept, changed and seen by the owner only.

Someone else's contact is simply not found (404), whoever asks; nothing here is ever read
for a facilitator or for another member's network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import InvalidInput, NotFound
from circles.models import ExternalContact, User

NAME_MAX, CONTEXT_NAME_MAX, NOTE_MAX = 120, 120, 500
#: Where the member knows a contact from (the stored key, and its name on pages).
CONTEXTS = {
    "employer": _l("Employer"), "former_employer": _l("Former employer"),
    "school": _l("School"), "community": _l("Community"),
    "professional_association": _l("Professional association"), "other": _l("Other"),
}
#: The kinds of support a contact gives (the stored key, and its name on pages).
SUPPORT_KINDS = {"career": _l("Career"), "psychosocial": _l("Psychosocial"),
                 "role_model": _l("Role model")}


def system(contact: ExternalContact) -> str:
    """The social system the contact belongs to, in the reader's language, e.g. "Former
    employer: Initech"."""
    label = str(CONTEXTS.get(contact.context, contact.context))
    return f"{label}: {contact.context_name}" if contact.context_name else label


def _text(errors: dict[str, str], name: str, value: Any, limit: int, *,
          missing: str = "") -> str:
    """The text cleaned; with ``missing``, an empty one is a problem said in those words."""
    text = " ".join(str(value or "").split()) if name != "note" else str(value or "").strip()
    if missing and not text:
        errors[name] = missing
    elif len(text) > limit:
        errors[name] = _("Keep this under %(limit)s characters (it has %(length)s).", limit=limit,
                         length=len(text))
    return text


def _support(errors: dict[str, str], value: Any) -> list[str]:
    chosen = [value] if isinstance(value, str) else list(value or [])
    unknown = [str(v) for v in chosen if v not in SUPPORT_KINDS]
    if unknown:
        errors["support"] = _("%(unknown)s is not a kind of support; choose from %(kinds)s.",
                              unknown=", ".join(unknown),
                              kinds=", ".join(str(v) for v in SUPPORT_KINDS.values()).lower())
    elif not chosen:
        errors["support"] = _("Choose at least one kind of support this person gives you.")
    return [kind for kind in SUPPORT_KINDS if kind in chosen]  # canonical order, no repeats


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The contact's fields tidied, or InvalidInput naming every field that is wrong."""
    errors: dict[str, str] = {}
    values = {
        "name": _text(errors, "name", fields.get("name"), NAME_MAX,
                      missing=_("Give their name (or a nickname only you will see).")),
        "context": str(fields.get("context") or ""),
        "context_name": _text(errors, "context_name", fields.get("context_name"),
                              CONTEXT_NAME_MAX),
        "support": _support(errors, fields.get("support")),
        "note": _text(errors, "note", fields.get("note"), NOTE_MAX),
    }
    if values["context"] not in CONTEXTS:
        errors["context"] = _("Choose one of: %(levels)s.",
                              levels=", ".join(str(v) for v in CONTEXTS.values()).lower())
    if errors:
        raise InvalidInput(errors)
    return values


def add_external(db: Session, user: User, *, name: str, context: str, context_name: str = "",
                 support: Iterable[str] = (), note: str = "") -> ExternalContact:
    """Add someone outside Circles to the member's own network; nothing is saved on error."""
    values = _checked({"name": name, "context": context, "context_name": context_name,
                       "support": support, "note": note})
    contact = ExternalContact(owner_id=user.id, **values)
    db.add(contact)
    db.flush()
    return contact


def external_contact(db: Session, user: User | int, contact_id: int) -> ExternalContact:
    """One of the member's own contacts; anyone else's is not found."""
    owner_id = user if isinstance(user, int) else user.id
    contact = db.scalar(select(ExternalContact).where(
        ExternalContact.id == contact_id, ExternalContact.owner_id == owner_id))
    if contact is None:
        raise NotFound("contact")
    return contact


def update_external(db: Session, user: User, contact_id: int, *, name: str, context: str,
                    context_name: str = "", support: Iterable[str] = (),
                    note: str = "") -> ExternalContact:
    """Replace every field of one of the member's contacts; unchanged on error."""
    contact = external_contact(db, user, contact_id)
    values = _checked({"name": name, "context": context, "context_name": context_name,
                       "support": support, "note": note})
    for key, value in values.items():
        setattr(contact, key, value)
    return contact


def remove_external(db: Session, user: User, contact_id: int) -> None:
    db.delete(external_contact(db, user, contact_id))


def external_contacts(db: Session, owner_id: int) -> list[ExternalContact]:
    """The member's own contacts, oldest first."""
    return list(db.scalars(select(ExternalContact).where(ExternalContact.owner_id == owner_id)
                           .order_by(ExternalContact.created_at, ExternalContact.id)))
