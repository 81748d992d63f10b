"""Accounts: sign-up, password checks, claiming an imported account."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from circles.errors import Conflict, InvalidInput, NotFound
from circles.members.profiles import check_timezone
from circles.models import User, utcnow

MIN_PASSWORD = 10
MAX_PASSWORD = 256
_DUMMY_HASHES: dict[object, str] = {}


def _dummy_hash() -> str:
    """A hash checked when the e-mail is unknown, so a failed log-in costs the same either way.

    Made on the first failed log-in, not at import: a scrypt hash costs ~60 ms of CPU, and
    every process that imports the app (each server, each CLI command) paid it at start. Kept
    per hashing function, so it is always made the way stored passwords are.
    """
    made_by = generate_password_hash
    if made_by not in _DUMMY_HASHES:
        _DUMMY_HASHES[made_by] = made_by("not-a-real-password-" + secrets.token_hex(8))
    return _DUMMY_HASHES[made_by]


def hash_password(password: str) -> str:
    """The form a password is stored in (werkzeug's default: scrypt)."""
    return generate_password_hash(password)


def normalise_email(raw: str) -> str:
    """Check an address's syntax (no DNS look-up) and return it in its normal form."""
    if not raw.strip():
        raise InvalidInput.field("email", _("Type your e-mail address, e.g. ana@example.org."))
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput.field("email", str(exc)) from exc


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput.field("password", _("Choose a password of at least %(min)s "
                                               "characters.", min=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise InvalidInput.field("password", _("Use at most %(max)s characters.", max=MAX_PASSWORD))


def sign_up(
    db: Session, *, email: str, password: str, display_name: str, timezone: str = "UTC"
) -> User:
    """Create an account; an imported member claims theirs with a claim link instead."""
    errors: dict[str, str] = {}  # every problem at once, not the first one found
    for check, value in ((normalise_email, email), (check_password, password),
                         (check_timezone, timezone)):
        try:
            check(value)
        except InvalidInput as exc:
            errors.update(exc.errors)
    name = " ".join(display_name.split())
    if not name:
        errors["display_name"] = _("Tell us the name your circle should see.")
    if errors:
        raise InvalidInput(errors)
    email = normalise_email(email)
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("An account with this e-mail already exists: log in, or reset "
                         "your password if you forgot it."))
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=name[:80],
        timezone=timezone,
    )
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, *, email: str, password: str) -> User:
    """The active user with this e-mail and password; one vague error for every failure."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    if not check_password_hash(stored, password) or user is None or not user.is_active:
        raise InvalidInput.field("password", _("That e-mail and password do not match."))
    return user


def invited_user(db: Session, token: str) -> User:
    """The imported member a claim link belongs to; an unknown or used link is not found."""
    user = db.scalar(select(User).where(User.claim_token == token)) if token else None
    if user is None:
        raise NotFound("invitation")
    return user


def claim_account(db: Session, *, token: str, password: str, display_name: str) -> User:
    """Let an imported member set their password through the link their facilitator sent."""
    user = invited_user(db, token)
    check_password(password)
    if display_name.strip():
        user.display_name = " ".join(display_name.split())[:80]
    user.password_hash = hash_password(password)
    user.claim_token = None
    user.email_verified_at = user.email_verified_at or utcnow()  # the link came by e-mail
    return user


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password (checked for length); the caller ends other logins."""
    check_password(password)
    user.password_hash = hash_password(password)


def change_password(user: User, *, current: str, new: str) -> None:
    """Change a password the member knows; the caller ends their other logins and tokens."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise InvalidInput.field("current_password", _("That is not your current password."))
    if new == current:
        raise InvalidInput.field("password", _("Choose a password different from the old one."))
    set_password(user, new)
