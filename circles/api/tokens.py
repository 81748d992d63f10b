"""Personal access tokens: create (plaintext shown once), list, revoke, and check a bearer.

Only the SHA-256 of a token is stored, so a database leak gives no usable token; the
``circ_`` prefix lets secret scanners recognise one pasted somewhere it should not be.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import InvalidInput, NotFound
from circles.models import ApiToken, User, as_utc

PREFIX = "circ_"
NAME_MAX = 80
EXPIRY_DAYS = (7, 30, 90, 365)  # choices offered; None = never expires
LAST_USED_GRANULARITY = timedelta(minutes=1)  # avoid a write on every request


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(db: Session, user: User, *, name: str, expires_in_days: int | None,
                 now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the plaintext (never stored)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput.field("name", "Give the token a name, e.g. the tool that uses it.")
    if len(name) > NAME_MAX:
        raise InvalidInput.field("name", f"Keep the name under {NAME_MAX} characters.")
    if expires_in_days is not None and expires_in_days not in EXPIRY_DAYS:
        raise InvalidInput.field("expires_in_days", "Choose one of the offered lifetimes.")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plaintext),
                     created_at=now,
                     expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None)
    db.add(token)
    db.flush()
    return token, plaintext


def tokens_of(db: Session, user_id: int) -> list[ApiToken]:
    """The member's tokens, newest first (revoked ones too, marked)."""
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(db: Session, user: User, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the user's own tokens; anyone else's is not found."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def is_live(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None
                                         or as_utc(token.expires_at) > now)


def authenticate(db: Session, plaintext: str, *, now: datetime) -> User | None:
    """The active user a live token belongs to, or None (unknown, revoked, expired,
    or the account is disabled); notes when the token was last used."""
    if not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext)))
    if token is None or not is_live(token, now) or not token.user.is_active:
        return None
    if token.last_used_at is None or as_utc(token.last_used_at) + LAST_USED_GRANULARITY < now:
        token.last_used_at = now
    return token.user
