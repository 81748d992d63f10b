"""Site administration: keeping accounts and communities running without reading content.

A site administrator (``User.is_site_admin``, granted from the command line) sees each
community's size and facilitators and can find, disable and re-enable accounts. They see no
profile text, circle content, notes, feedback, pulses or goals: the same rule as
facilitators, "keep secrets secret" (docs/privacy.md). Anyone else is told the admin pages
do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.members.logins import end_everything
from circles.models import Circle, Community, Membership, User

SEARCH_LIMIT = 50


@dataclass(frozen=True)
class CommunityRow:
    """One community as an operator sees it: counts and who runs it, no content."""

    id: int
    name: str
    members: int
    circles: int
    facilitators: list[str]
    created_at: datetime


@dataclass(frozen=True)
class AccountRow:
    """One account as an operator sees it."""

    id: int
    display_name: str
    email: str
    is_active: bool
    is_site_admin: bool
    communities: int
    created_at: datetime


def require_admin(user: User) -> None:
    """Refuse anyone but a site administrator, as if the page did not exist."""
    if not (user.is_authenticated and user.is_site_admin):
        raise NotFound("page")


def communities_overview(db: Session) -> list[CommunityRow]:
    """Every community with its member and circle counts and its facilitators' names."""
    members = _counts(db, Membership.community_id)
    circles = _counts(db, Circle.community_id)
    facilitators: dict[int, list[str]] = {}
    for community_id, name in db.execute(
            select(Membership.community_id, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.role == "facilitator").order_by(User.display_name)):
        facilitators.setdefault(community_id, []).append(name)
    return [CommunityRow(c.id, c.name, members.get(c.id, 0), circles.get(c.id, 0),
                         facilitators.get(c.id, []), c.created_at)
            for c in db.scalars(select(Community).order_by(Community.name, Community.id))]


def _counts(db: Session, column: Any, among: list[int] | None = None) -> dict[int, int]:
    """Rows per value of ``column`` (only the values ``among``, when given)."""
    statement = select(column, func.count()).group_by(column)
    if among is not None:
        statement = statement.where(column.in_(among))
    return {int(key): int(count) for key, count in db.execute(statement)}


def find_accounts(db: Session, query: str) -> list[AccountRow]:
    """Accounts whose e-mail or name contains ``query`` (all, newest first, when empty)."""
    wanted = query.strip()
    if len(wanted) > 254:
        raise InvalidInput.field("q", _("Search for at most 254 characters."))
    statement = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(SEARCH_LIMIT)
    if wanted:
        pattern = "%" + wanted.lower().replace("\\", "\\\\").replace("%", "\\%")\
            .replace("_", "\\_") + "%"
        statement = statement.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                        func.lower(User.display_name).like(pattern, escape="\\")))
    users = list(db.scalars(statement))
    counts = _counts(db, Membership.user_id, [u.id for u in users])
    return [AccountRow(u.id, u.display_name, u.email, u.is_active, u.is_site_admin,
                       counts.get(u.id, 0), u.created_at) for u in users]


def set_active(db: Session, admin: User, user_id: int, active: bool) -> User:
    """Disable an account (its logins and sockets end) or enable it again."""
    require_admin(admin)
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("account")
    if user.id == admin.id and not active:
        raise Conflict(_("You cannot disable your own account; ask another administrator."))
    user.is_active = active
    if not active:  # for good: enabling the account again brings no old login or token back
        end_everything(db, user.id)
    db.flush()
    return user


def set_site_admin(db: Session, email: str, granted: bool) -> User:
    """Make the account with ``email`` a site administrator, or no longer one (CLI)."""
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise NotFound("account")
    user.is_site_admin = granted
    db.flush()
    return user
