"""Communities: creating them, joining by invite, roles, and what a member may see."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager

from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import LANGUAGES
from circles.models import Community, Membership, User, utcnow


def new_invite_code() -> str:
    return secrets.token_urlsafe(9)


#: Who may create communities (the ``COMMUNITY_CREATORS`` setting).
CREATOR_POLICIES = ("verified", "admins")
CREATE_REFUSED = {
    "verified": _l("Confirm your e-mail address first: then you can start a community."),
    "admins": _l("On this site, only site administrators start communities. Ask one to start "
                 "yours and make you its facilitator."),
}


def verify_first(email: str) -> str:
    """Why a member with an unconfirmed address cannot join yet, in words."""
    return str(_("Confirm your e-mail address first: open the link we sent to %(email)s (or ask "
                 "for a new one on your account page), then join.", email=email))


def may_create(user: User, policy: str) -> str | None:
    """None when ``user`` may start a community under ``policy``, else why not."""
    if policy not in CREATOR_POLICIES:
        raise ValueError(f"COMMUNITY_CREATORS must be one of {CREATOR_POLICIES}, not {policy!r}")
    if user.is_site_admin or (policy == "verified" and user.email_verified):
        return None
    return str(CREATE_REFUSED[policy if user.email_verified else "verified"])


def create_community(db: Session, owner: User, *, name: str, description: str = "",
                     policy: str | None = None) -> Community:
    """Create a community; its creator becomes its first facilitator. With ``policy`` (the
    web's ``COMMUNITY_CREATORS``) the owner must be allowed by it; the CLI and the demo,
    run by operators, pass none."""
    refused = may_create(owner, policy) if policy is not None else None
    if refused:
        raise Conflict(refused)
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = _("Give the community a name.")
    elif len(name) > 120:
        errors["name"] = _("Keep the name under 120 characters.")
    if len(description) > 2000:
        errors["description"] = _("Keep the description under 2000 characters.")
    if errors:
        raise InvalidInput(errors)
    community = Community(name=name, description=description.strip(), invite_code=new_invite_code())
    community.memberships.append(Membership(user=owner, role="facilitator"))
    db.add(community)
    db.flush()
    return community


def membership_of(db: Session, user_id: int, community_id: int) -> Membership | None:
    return db.scalar(
        select(Membership).where(
            Membership.user_id == user_id, Membership.community_id == community_id
        )
    )


def community_for_member(db: Session, user: User, community_id: int) -> tuple[Community, Membership]:
    """The community and the user's place in it; not found for anyone outside it."""
    membership = membership_of(db, user.id, community_id)
    if membership is None:
        raise NotFound("community")
    return membership.community, membership


def community_for_facilitator(db: Session, user: User, community_id: int) -> Community:
    """The community when the user facilitates it; members and outsiders get not found."""
    community, membership = community_for_member(db, user, community_id)
    if membership.role != "facilitator":
        raise NotFound("page")
    return community


def community_by_invite(db: Session, code: str) -> Community:
    community = db.scalar(select(Community).where(Community.invite_code == code.strip()))
    if community is None or not code.strip():
        raise NotFound("invitation")
    return community


def join_by_invite(db: Session, user: User, code: str, *,
                   accepted_conduct: bool = False) -> Community:
    """Join through an invite code, with the community's code of conduct accepted when it
    has one; counts the use under a row lock (no lost increments)."""
    community = community_by_invite(db, code)
    if not user.email_verified:
        raise Conflict(verify_first(user.email))
    if membership_of(db, user.id, community.id) is not None:
        raise Conflict(_("You are already a member of %(name)s.", name=community.name))
    locked = db.get(Community, community.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    membership = Membership(user=user, role="member")
    if locked.conduct:
        if not accepted_conduct:
            raise InvalidInput.field("accept_conduct", _("Accept the code of conduct of %(name)s to join.",
                                                         name=locked.name))
        membership.conduct_accepted_at = utcnow()
    locked.invite_uses += 1
    locked.memberships.append(membership)
    db.flush()
    return locked


def conducts_to_accept(db: Session, user_id: int) -> list[Community]:
    """The communities whose code of conduct the member has not accepted (a member their
    facilitator imported has joined none of them themselves), by name."""
    return list(db.scalars(
        select(Community).join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user_id, Membership.conduct_accepted_at.is_(None),
               Community.conduct != "")
        .order_by(Community.name, Community.id)))


def accept_conducts(db: Session, user_id: int, *, accepted: bool) -> None:
    """Record that the member accepted every code of ``conducts_to_accept`` (setting up an
    imported account asks for them, as joining does); refused in words, with nothing
    recorded, when not ticked."""
    pending = [c.id for c in conducts_to_accept(db, user_id)]
    if not pending:
        return
    if not accepted:
        raise InvalidInput.field("accept_conduct", _(
            "Accept the code of conduct to finish setting up your account."))
    now = utcnow()
    for membership in db.scalars(select(Membership).where(
            Membership.user_id == user_id, Membership.community_id.in_(pending))):
        membership.conduct_accepted_at = now
    db.flush()


def regenerate_invite(db: Session, community: Community) -> str:
    """Replace the invite code; the old link stops working at once."""
    community.invite_code = new_invite_code()
    return community.invite_code


def set_language(db: Session, community: Community, language: str) -> Community:
    """Set the language for members who chose none, and for e-mails to them ("" → English)."""
    if language and language not in LANGUAGES:
        raise InvalidInput.field("language", _("Choose a language from the list."))
    community.language = language
    return community


def set_role(db: Session, community: Community, user_id: int, role: str) -> Membership:
    if role not in ("member", "facilitator"):
        raise InvalidInput.field("role", _("Choose member or facilitator."))
    membership = membership_of(db, user_id, community.id)
    if membership is None:
        raise NotFound("member")
    if membership.role == "facilitator" and role == "member":
        facilitators = db.scalar(
            select(func.count()).where(
                Membership.community_id == community.id, Membership.role == "facilitator"
            )
        )
        if facilitators == 1:
            raise Conflict(_("A community needs at least one facilitator."))
    membership.role = role
    return membership


def _roster_query(community_id: int) -> Select[Membership]:
    """A community's members with their accounts, by name (ties broken by id, so pages hold)."""
    return (select(Membership)
            .join(User)
            .options(contains_eager(Membership.user))  # one query for the whole roster
            .where(Membership.community_id == community_id)
            .order_by(func.lower(User.display_name), User.id))


def roster(db: Session, community_id: int) -> list[Membership]:
    """Every member of a community, by name."""
    return list(db.scalars(_roster_query(community_id)))


#: Members per page of a community's roster.
ROSTER_PAGE_SIZE = 25


@dataclass(frozen=True)
class RosterPage:
    """One page of a roster, by name: ``page`` counts from 1 and is within 1..``pages``."""

    members: list[Membership]
    total: int
    page: int
    pages: int
    first: int  # the position of the page's first member in the whole roster, from 1


def roster_page(db: Session, community_id: int, page: int = 1,
                per_page: int = ROSTER_PAGE_SIZE) -> RosterPage:
    """Page ``page`` of the roster (a page past the end gives the last one)."""
    total = db.scalar(select(func.count()).select_from(Membership)
                      .where(Membership.community_id == community_id)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    members = list(db.scalars(_roster_query(community_id)
                              .offset((page - 1) * per_page).limit(per_page)))
    return RosterPage(members, total, page, pages, (page - 1) * per_page + 1)


def communities_of(db: Session, user_id: int) -> list[Membership]:
    return list(
        db.scalars(
            select(Membership)
            .join(Community)
            .where(Membership.user_id == user_id)
            .order_by(Community.name)
        )
    )
