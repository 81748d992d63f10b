"""Optional two-factor authentication: time-based one-time codes (TOTP, RFC 6238, pyotp)
from an authenticator app, with single-use recovery codes for a lost phone."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from circles.errors import Conflict, InvalidInput
from circles.models import User

ISSUER = "Circles"
RECOVERY_CODES = 10
#: Codes from the step before and after the current one count too (clocks drift).
VALID_WINDOW = 1


def new_secret() -> str:
    """A fresh base32 secret for an authenticator app (shown once, kept in the session
    until the member confirms it with a code)."""
    return pyotp.random_base32()


def setup_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an SVG data URI (an image the page's CSP allows)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _hash(code: str) -> str:
    return hashlib.sha256(_plain(code).encode()).hexdigest()


def _plain(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn two-factor on once ``code`` proves the app holds ``secret``; returns the
    recovery codes, shown to the member once (only their hashes are kept)."""
    if user.totp_secret:
        raise Conflict(_("Two-factor authentication is already on."))
    step = code_step(secret, _plain(code))
    if step is None:
        raise InvalidInput.field("code", _("That code does not match; check the app's clock "
                                           "and type the six digits it shows now."))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.totp_secret, user.totp_last_step = secret, step
    user.recovery_codes = [_hash(code) for code in codes]
    return codes


def disable(user: User, password: str) -> None:
    """Turn two-factor off after the member's password is given again."""
    if not user.password_hash or not check_password_hash(user.password_hash, password):
        raise InvalidInput.field("password", _("That is not your current password."))
    user.totp_secret = None
    user.recovery_codes = []


def code_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (30 s) whose app code ``code`` is, within ``VALID_WINDOW`` steps of
    ``now``; None when it is none of them."""
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(moment, counter_offset=offset), code):
            return int(totp.timecode(datetime.fromtimestamp(moment, UTC))) + offset
    return None


def check(db: Session, user: User, code: str) -> bool:
    """Whether ``code`` is an app code not taken before or an unused recovery code; either
    is then used up (an app code with every earlier one: RFC 6238, 5.2, so a code seen over
    someone's shoulder or in a proxy's log cannot be replayed within its 30 s).

    The member's row is read again and held until the caller's transaction ends, so two
    log-ins racing with one code are taken in turn and the second finds it used up."""
    db.refresh(user, with_for_update=True)
    if not user.totp_secret:
        return True
    step = code_step(user.totp_secret, _plain(code))
    if step is not None and step > (user.totp_last_step if user.totp_last_step is not None
                                    else -1):
        user.totp_last_step = step
        return True
    digest = _hash(code)
    if digest in (user.recovery_codes or []):
        user.recovery_codes = [kept for kept in user.recovery_codes if kept != digest]
        return True
    return False
