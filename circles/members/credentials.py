"""Links sent by e-mail that prove who reads an address: verify it, change it, reset a password.

Each link carries a payload signed with the site's secret (itsdangerous), a purpose of its
own (a verification link never resets a password) and an expiry. Links are single-use by
what they carry: a reset link names a fingerprint of the password it replaces, an address
change names the address it replaces, so once used they no longer match.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import community_language, current_language, known
from circles.members import accounts
from circles.models import User, utcnow
from circles.notify.mail import queue_email

VERIFY_HOURS = 72
CHANGE_HOURS = 24
RESET_MINUTES = 60

USED = _l("This link was already used or is no longer valid. Ask for a new one.")


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"circles-{purpose}")


def _fingerprint(value: str | None) -> str:
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def _read(secret: str, purpose: str, token: str, max_age: int, limit: str) -> dict[str, Any]:
    """The payload of a valid link; an expired one is refused in words, a forged one is
    not found."""
    try:
        payload = _serializer(secret, purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise Conflict(_("This link has expired. Ask for a new one: links stay valid for "
                         "%(limit)s.", limit=limit)) from exc
    except BadSignature as exc:
        raise NotFound("link") from exc
    if not isinstance(payload, dict):
        raise NotFound("link")
    return payload


def _user(db: Session, payload: dict[str, Any]) -> User:
    user = db.get(User, payload.get("u")) if isinstance(payload.get("u"), int) else None
    if user is None or not user.is_active:
        raise NotFound("link")
    return user


def _language(db: Session, user: User) -> str:
    """The language of an e-mail about the account: the member's, else the page's they are
    on (a new account has neither a choice nor a community yet)."""
    return known(user.language) or community_language(db, user.id) or current_language()


# --- verifying the address an account was made with ---------------------------------------


def send_verification(db: Session, user: User, secret: str) -> None:
    """E-mail ``user`` a link that proves they read their address."""
    token = _serializer(secret, "verify").dumps({"u": user.id, "e": user.email})
    with force_locale(_language(db, user)):
        queue_email(db, user.email, _("Circles: confirm your e-mail address"),
                    _("Hello %(name)s,\n\nConfirm that this address is yours so that you can "
                      "join communities on Circles. The link is valid for %(days)s days.",
                      name=user.display_name, days=VERIFY_HOURS // 24), link=f"/verify/{token}")


def verification_user(db: Session, token: str, secret: str) -> User:
    """The account a valid verification link belongs to (nothing changes)."""
    payload = _read(secret, "verify", token, VERIFY_HOURS * 3600,
                    ngettext("%(num)d day", "%(num)d days", VERIFY_HOURS // 24))
    user = _user(db, payload)
    if payload.get("e") != user.email:
        raise Conflict(str(USED))
    return user


def verify_email(db: Session, token: str, secret: str) -> User:
    """Mark the address a verification link was sent to as verified."""
    user = verification_user(db, token, secret)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


# --- changing one's address ---------------------------------------------------------------


def request_email_change(db: Session, user: User, *, new_email: str, password: str,
                         secret: str) -> str:
    """Send a confirmation link to ``new_email`` and a notice to the current address;
    nothing changes until the link is opened. Returns the normalised new address."""
    if not user.password_hash or not check_password_hash(user.password_hash, password):
        raise InvalidInput.field("password", _("That is not your current password."))
    new = accounts.normalise_email(new_email)
    if new == user.email:
        raise InvalidInput.field("email", _("That is already your address."))
    token = _serializer(secret, "change").dumps(
        {"u": user.id, "e": new, "f": _fingerprint(user.email)})
    with force_locale(_language(db, user)):
        queue_email(db, new, _("Circles: confirm your new e-mail address"),
                    _("Hello %(name)s,\n\nOpen this link to use this address for your Circles "
                      "account. It is valid for %(hours)s hours.", name=user.display_name,
                      hours=CHANGE_HOURS), link=f"/account/email/{token}")
        queue_email(db, user.email, _("Circles: a change of your e-mail address was asked for"),
                    _("Hello %(name)s,\n\nSomeone logged in as you asked to change your "
                      "account's address to %(new)s. Nothing changes until that address "
                      "confirms. If this was not you, change your password now.",
                      name=user.display_name, new=new), link="/account")
    return new


def change_request(db: Session, token: str, secret: str) -> tuple[User, str]:
    """The account and new address of a valid, unused address-change link (nothing changes)."""
    payload = _read(secret, "change", token, CHANGE_HOURS * 3600,
                    ngettext("%(num)d hour", "%(num)d hours", CHANGE_HOURS))
    user = _user(db, payload)
    if payload.get("f") != _fingerprint(user.email):
        raise Conflict(str(USED))
    return user, str(payload.get("e", ""))


def confirm_email_change(db: Session, token: str, secret: str) -> User:
    """Move the account to the new, now verified, address and tell the old one."""
    user, new = change_request(db, token, secret)
    taken = db.scalar(select(User.id).where(func.lower(User.email) == new, User.id != user.id))
    if taken is not None:
        raise Conflict(_("Another account uses that address now; the change cannot be made."))
    old = user.email
    user.email, user.email_verified_at = new, utcnow()
    with force_locale(_language(db, user)):
        queue_email(db, old, _("Circles: your e-mail address was changed"),
                    _("Hello %(name)s,\n\nYour Circles account now uses %(new)s. If this was "
                      "not you, reply to your community's facilitator or a site administrator "
                      "at once.", name=user.display_name, new=new))
    return user


# --- resetting a forgotten password -------------------------------------------------------


def request_reset(db: Session, email: str, secret: str) -> None:
    """E-mail a reset link if an active account uses ``email``; say nothing either way."""
    try:
        address = accounts.normalise_email(email)
    except InvalidInput:
        return
    user = db.scalar(select(User).where(User.email == address, User.is_active.is_(True)))
    if user is None:
        return
    token = _serializer(secret, "reset").dumps(
        {"u": user.id, "f": _fingerprint(user.password_hash)})
    with force_locale(_language(db, user)):
        queue_email(db, user.email, _("Circles: reset your password"),
                    _("Hello %(name)s,\n\nOpen this link to choose a new password. It works "
                      "once, within %(minutes)s minutes. If you did not ask for it, ignore "
                      "this message: your password stays as it is.", name=user.display_name,
                      minutes=RESET_MINUTES), link=f"/reset/{token}")


def reset_user(db: Session, token: str, secret: str) -> User:
    """The account a valid, unused reset link belongs to."""
    payload = _read(secret, "reset", token, RESET_MINUTES * 60,
                    ngettext("%(num)d minute", "%(num)d minutes", RESET_MINUTES))
    user = _user(db, payload)
    if payload.get("f") != _fingerprint(user.password_hash):
        raise Conflict(str(USED))
    return user


def reset_password(db: Session, token: str, password: str, secret: str) -> User:
    """Set a new password through a reset link; the address is verified by it too."""
    user = reset_user(db, token, secret)
    accounts.set_password(user, password)
    user.claim_token = None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user
