"""Server-side login sessions: open, load (with idle and absolute expiry), list and end.

The cookie holds a random token; only its SHA-256 is stored, so a database leak gives no
usable login. A login ends when the member logs out, revokes it from "Where you're logged
in", changes or resets their password, is disabled, or leaves it idle (``LOGIN_IDLE_DAYS``)
or keeps it too long (``LOGIN_MAX_DAYS``). An ended login never comes back.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session

from circles.database import keep_for_transaction, take_from_transaction
from circles.errors import NotFound
from circles.models import ApiToken, LoginSession, User, as_utc, utcnow

#: How often a login's ``last_seen_at`` is written at most (not on every request).
SEEN_GRANULARITY = timedelta(minutes=5)
#: ``db.info`` key set when loading a login changed it (last seen, or ended by expiry).
TOUCHED = "login_touched"
_READ = "circles.members.login_read"


@dataclass(frozen=True)
class Lifetime:
    """How long a login may stay unused (``idle``) and live at all (``absolute``)."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def days(cls, idle: float, absolute: float) -> Lifetime:
        return cls(timedelta(days=idle), timedelta(days=absolute))


DEFAULT_LIFETIME = Lifetime.days(14, 90)


def digest(token: str) -> str:
    """The stored form of a login token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(db: Session, user: User, *, user_agent: str = "", ip_address: str = "") -> str:
    """Open a login session and return its token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(LoginSession(token_hash=digest(token), user_id=user.id, created_at=now,
                        last_seen_at=now, user_agent=user_agent[:255],
                        ip_address=ip_address[:45]))
    user.login_token = token
    return token


def expired(login: LoginSession, now: datetime, lifetime: Lifetime) -> bool:
    """Whether ``login`` has been idle or alive too long."""
    return (as_utc(login.last_seen_at) + lifetime.idle <= now
            or as_utc(login.created_at) + lifetime.absolute <= now)


def load_login(db: Session, token: str, *, lifetime: Lifetime = DEFAULT_LIFETIME,
               now: datetime | None = None) -> User | None:
    """The user of a live login session, or None when the token is unknown, revoked,
    expired, or the account disabled. Notes the use (at most every few minutes).

    A login read already in this transaction by a wider query (``remember_read``) is
    answered from; otherwise one query reads it."""
    # One query: it runs on every page and every live event (revocation is checked each time).
    row = _read_earlier(db, digest(token)) \
        or db.execute(_login_query(), {"token_hash": digest(token)}).first()
    if row is None:
        return None
    user, login = row
    now = now or utcnow()
    if expired(login, now, lifetime):
        login.revoked_at = now  # the caller commits (see TOUCHED): an expired login stays ended
        db.info[TOUCHED] = True
        return None
    if as_utc(login.last_seen_at) + SEEN_GRANULARITY <= now:
        login.last_seen_at = now
        db.info[TOUCHED] = True
    user.login_token = token
    return user


def login_select(*joined: Any) -> Select[Any]:
    """``select(User, LoginSession, *joined)`` of the login whose token hashes to the bound
    ``token_hash``, not revoked, of an active account: ``load_login``'s query, which a caller
    that reads more in the same round trip widens with joins (``circles.live.room``)."""
    return (select(User, LoginSession, *joined).select_from(User)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.token_hash == bindparam("token_hash"),
                   LoginSession.revoked_at.is_(None), User.is_active.is_(True)))


def remember_read(db: Session, token_hash: str, user: User, login: LoginSession) -> None:
    """Keep a login row read by a ``login_select`` query for ``load_login``, in this
    transaction only (the next transaction reads the login again)."""
    keep_for_transaction(db, _READ, token_hash, user, login)


def _read_earlier(db: Session, token_hash: str) -> tuple[User, LoginSession] | None:
    """The login row remembered for ``token_hash`` in this transaction, once."""
    kept = take_from_transaction(db, _READ)
    if kept is None or kept[0] != token_hash:
        return None
    return kept[1], kept[2]


@functools.cache
def _login_query() -> Select[Any]:
    """``load_login``'s query, built once (building it and its cache key cost as much as
    running it, on every page and live event)."""
    return login_select()


def login_owner(db: Session, token: str) -> int | None:
    """Whose login session ``token`` was, revoked or not (None for an unknown token)."""
    return db.scalar(select(LoginSession.user_id).where(LoginSession.token_hash == digest(token)))


def end_login(db: Session, token: str, *, at: datetime | None = None) -> None:
    """Revoke one login session: its cookie no longer signs anyone in."""
    db.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == digest(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=at or utcnow())
    )


def logins_of(db: Session, user_id: int, *, lifetime: Lifetime = DEFAULT_LIFETIME,
              now: datetime | None = None) -> list[LoginSession]:
    """The member's logins still open, the most recently used first."""
    now = now or utcnow()
    rows = db.scalars(select(LoginSession).where(LoginSession.user_id == user_id,
                                                 LoginSession.revoked_at.is_(None))
                      .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc()))
    return [login for login in rows if not expired(login, now, lifetime)]


def end_login_by_id(db: Session, user: User, login_id: int) -> str:
    """Revoke one of the member's own logins by its id; returns its token hash (for its
    sockets). Anyone else's login is not found."""
    login = db.get(LoginSession, login_id)
    if login is None or login.user_id != user.id:
        raise NotFound("login")
    if login.revoked_at is None:
        login.revoked_at = utcnow()
    return login.token_hash


def end_all_logins(db: Session, user_id: int, *, keep: str | None = None) -> list[str]:
    """Revoke every open login of a member but the one with token ``keep``; returns the
    revoked logins' token hashes so their sockets can be ended after the commit."""
    kept = digest(keep) if keep else None
    logins = db.scalars(select(LoginSession).where(LoginSession.user_id == user_id,
                                                   LoginSession.revoked_at.is_(None)))
    now = utcnow()
    ended = []
    for login in logins:
        if login.token_hash != kept:
            login.revoked_at = now
            ended.append(login.token_hash)
    return ended


def revoke_api_tokens(db: Session, user_id: int) -> int:
    """Revoke every live API token of a member (a password change or a disabled account);
    returns how many."""
    result = db.execute(update(ApiToken).where(ApiToken.user_id == user_id,
                                               ApiToken.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def end_everything(db: Session, user_id: int, *, keep: str | None = None) -> list[str]:
    """End every login (but ``keep``) and every API token of a member."""
    ended = end_all_logins(db, user_id, keep=keep)
    revoke_api_tokens(db, user_id)
    return ended


def browser_of(user_agent: str) -> str:
    """A short "Browser on system" description of a User-Agent string, for people."""
    ua = user_agent or ""
    browser = next((str(name) for key, name in _BROWSERS if key in ua), _("A browser"))
    system = next((name for key, name in _SYSTEMS if key in ua), "")
    return _("%(browser)s on %(system)s", browser=browser, system=system) if system else browser


# Order matters: Edge and Opera announce Chrome too, Chrome announces Safari.
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
             ("curl/", "curl"), ("python", _l("A script")))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))
