"""Invitations: a facilitator's import names someone who already has an account; nothing is
added until that person accepts, and only they can (with a verified address).

The invitation link has the same shape as a new member's claim link (``/claim/<token>``), so
neither a preview nor the links file tells a facilitator which addresses already had an
account. Who was invited learns it in the app (once verified) and by e-mail.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from circles.communities.community import membership_of, verify_first
from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import language_of
from circles.models import Community, Invitation, Membership, Tie, User, utcnow
from circles.notify.mail import queue_email
from circles.notify.notifications import notify


def invite(db: Session, community: Community, user: User, *, invited_by: int | None,
           tie_emails: Iterable[str] = ()) -> Invitation | None:
    """Invite ``user`` into ``community`` (and tell them); None when they are a member
    already or declined before (a declined invitation is not sent again by a re-import)."""
    if membership_of(db, user.id, community.id) is not None:
        return None
    invitation = db.scalar(select(Invitation).where(Invitation.community_id == community.id,
                                                    Invitation.user_id == user.id))
    if invitation is not None:
        if invitation.answered_at is None:  # a re-import: the ties it names are added
            invitation.tie_emails = sorted({*invitation.tie_emails, *tie_emails})
        return None
    invitation = Invitation(community_id=community.id, user_id=user.id,
                            invited_by_id=invited_by, token=secrets.token_urlsafe(32),
                            tie_emails=sorted(set(tie_emails)))
    db.add(invitation)
    db.flush()
    _tell(db, community, user, invitation)
    return invitation


def _tell(db: Session, community: Community, user: User, invitation: Invitation) -> None:
    text = _l("%(name)s invites you to join its co-mentoring circles. Nothing is shared with "
              "its facilitators unless you accept.", name=community.name)
    link = f"/claim/{invitation.token}"
    if user.email_verified:
        notify(db, user.id, "invitation", text, link)
        return
    # An unverified account may not be the address's owner: only the address hears, in the
    # account's language.
    with force_locale(language_of(db, user)):
        queue_email(db, user.email, _("Circles: %(name)s invites you", name=community.name),
                    _("Hello,\n\n%(text)s Log in (or reset your password) with this address "
                      "to answer.", text=text), link)


def by_token(db: Session, token: str, user: User) -> Invitation:
    """The open invitation behind ``token`` if it is ``user``'s; anyone else's is not found."""
    invitation = db.scalar(select(Invitation).where(Invitation.token == token)) if token \
        else None
    if invitation is None or invitation.user_id != user.id:
        raise NotFound("invitation")
    return invitation


def is_invitation(db: Session, token: str) -> bool:
    """Whether ``token`` is an invitation's (so a claim link page can ask to log in)."""
    return bool(token) and db.scalar(
        select(Invitation.id).where(Invitation.token == token)) is not None


def pending_for(db: Session, user: User) -> list[Invitation]:
    """The member's unanswered invitations, newest first (none before they verify)."""
    if not user.email_verified:
        return []
    return list(db.scalars(select(Invitation).where(Invitation.user_id == user.id,
                                                    Invitation.answered_at.is_(None))
                           .order_by(Invitation.created_at.desc(), Invitation.id.desc())))


def answer(db: Session, invitation: Invitation, user: User, *, accept: bool,
           accepted_conduct: bool = False) -> Community:
    """Accept (become a member, with the ties the import named, and the community's code of
    conduct accepted when it has one) or decline."""
    if invitation.user_id != user.id:
        raise NotFound("invitation")
    if invitation.answered_at is not None:
        raise Conflict(_("You already answered this invitation."))
    if accept and not user.email_verified:
        raise Conflict(verify_first(user.email))
    community = invitation.community
    if accept and community.conduct and not accepted_conduct:
        raise InvalidInput.field("accept_conduct", _("Accept the code of conduct of %(name)s to join.",
                                                     name=community.name))
    invitation.answered_at, invitation.accepted = utcnow(), accept
    if accept and membership_of(db, user.id, community.id) is None:
        db.add(Membership(community_id=community.id, user_id=user.id, role="member",
                          conduct_accepted_at=utcnow() if community.conduct else None))
        db.flush()
        _add_ties(db, community, user, invitation.tie_emails)
    return community


def _add_ties(db: Session, community: Community, user: User, emails: list[str]) -> None:
    """The ties the import declared between the new member and members of the community."""
    others = set(db.scalars(select(User.id).join(Membership, Membership.user_id == User.id)
                            .where(Membership.community_id == community.id,
                                   User.email.in_(emails or [""]), User.id != user.id)))
    if not others:
        return
    pairs = {(min(user.id, other), max(user.id, other)) for other in others}
    known = set(db.execute(select(Tie.low_id, Tie.high_id).where(
        or_(Tie.low_id == user.id, Tie.high_id == user.id))).all())
    new = sorted(pairs - known)
    if new:
        db.execute(insert(Tie), [{"low_id": low, "high_id": high, "source": "imported",
                                  "community_id": community.id} for low, high in new])
