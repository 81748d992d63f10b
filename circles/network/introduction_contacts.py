"""How two people introduced to each other can reach each other, with consent.

The requester chooses when asking, the person asked about when accepting: their account
e-mail address, another contact line they type (a phone number, a profile link), or nothing.
Once both said yes each reads what the other shared — on the introduction's page and in the
notification that tells them — and nobody else ever does: not the mutual contact, not a
facilitator. Either may change or withdraw what they share afterwards.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from circles.errors import InvalidInput, NotFound
from circles.models import User
from circles.models.introductions import MAX_CONTACT, SHARES, Introduction

MIN_CONTACT = 3
CHOOSE = _l("Choose what to share: your e-mail address, another way to reach you, or "
            "nothing.")


def check_contact(errors: dict[str, str], shares: str, contact: str) -> tuple[str, str]:
    """``(shares, contact line)`` cleaned, or the problems under ``errors`` (``shares``,
    ``contact``); the line is kept only when "another way" is chosen."""
    line = " ".join((contact or "").split())
    if shares not in SHARES:
        errors["shares"] = str(CHOOSE)
    elif shares == "other" and len(line) < MIN_CONTACT:
        errors["contact"] = _("Write how they can reach you, e.g. a phone number or a profile "
                              "link, or choose your e-mail address.")
    elif shares == "other" and len(line) > MAX_CONTACT:
        errors["contact"] = _("Keep the way to reach you under %(max)s characters (this has "
                              "%(length)s).", max=MAX_CONTACT, length=len(line))
    return shares, line if shares == "other" else ""


def side(intro: Introduction, user_id: int) -> str:
    """"requester" or "target": which of the two ``user_id`` is (else not found)."""
    if user_id == intro.requester_id:
        return "requester"
    if user_id == intro.target_id and intro.brokered_at is not None:
        return "target"
    raise NotFound("introduction")


def set_contact(intro: Introduction, user_id: int, shares: str, contact: str) -> None:
    """Record what ``user_id`` shares (checked); raises ``InvalidInput`` with every problem."""
    errors: dict[str, str] = {}
    shares, line = check_contact(errors, shares, contact)
    if errors:
        raise InvalidInput(errors)
    who = side(intro, user_id)
    setattr(intro, f"{who}_shares", shares)
    setattr(intro, f"{who}_contact", line)


def contact_of(intro: Introduction, who: str) -> str:
    """What ``who`` ("requester" or "target") shares, as the other reads it ("" for nothing)."""
    person: User = getattr(intro, who)
    shares = getattr(intro, f"{who}_shares")
    if shares == "email":
        return person.email
    return str(getattr(intro, f"{who}_contact")) if shares == "other" else ""


def shared_with(intro: Introduction, viewer_id: int) -> str | None:
    """What the other of the two shares with ``viewer_id`` once the introduction was
    accepted ("" when they shared nothing); None for anyone else or before then."""
    if intro.status != "accepted" or viewer_id not in (intro.requester_id, intro.target_id):
        return None
    return contact_of(intro, "target" if viewer_id == intro.requester_id else "requester")


def reach_line(name: str, contact: str) -> str:
    """A sentence for a notification or a page: how to reach ``name``."""
    if contact:
        return str(_("You can reach %(name)s at %(contact)s.", name=name, contact=contact))
    return str(_("%(name)s has not shared a way to reach them yet.", name=name))


def edit_contact(intro: Introduction, user: User, shares: str, contact: str) -> Introduction:
    """One of the two changes or withdraws what they share (an accepted introduction only)."""
    if intro.status != "accepted":
        raise NotFound("introduction")
    set_contact(intro, user.id, shares, contact)
    return intro
