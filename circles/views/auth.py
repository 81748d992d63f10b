"""Sign up, log in, log out and claim an imported account."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from circles.communities import community as communities
from circles.communities import invitations
from circles.extensions import db, limiter
from circles.members import accounts, credentials, logins, two_factor
from circles.models import User
from circles.security_log import security_event
from circles.views.forms import PlainForm, ZoneField, checked, render_form, submit
from realtime import revocation

bp = Blueprint("auth", __name__)

PENDING = "second_factor"  # session key: who gave the right password, waiting for a code
CODE_SECONDS = 300
WRONG_CODE = (_l("That code does not match. Type the six digits the app shows now, or one of "
              "your recovery codes."))


class SignUpForm(PlainForm):
    display_name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Tell us the name your circle should see.")), Length(max=80)])
    email = EmailField(_l("E-mail"), validators=[checked(accounts.normalise_email)])
    password = PasswordField(_l("Password"), validators=[checked(accounts.check_password)],
                             description=_l('At least %(MIN_PASSWORD)s characters.', MIN_PASSWORD=accounts.MIN_PASSWORD))
    # static/timezone.js puts the browser's own zone here on a first visit.
    timezone = ZoneField(_l("Time zone"), default="UTC",
                         render_kw={"data-browser-zone": "", "data-default-zone": "UTC"})


class LoginForm(PlainForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class CodeForm(PlainForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(max=20)],
                       description=_l("Six digits, or one of your recovery codes."))


class ClaimForm(PlainForm):
    display_name = StringField(_l("Your name"), validators=[Length(max=80)])
    password = PasswordField(_l("Choose a password"), validators=[checked(accounts.check_password)])
    accept_conduct = BooleanField(_l("I accept the code of conduct above"))


def _safe_next(default: str) -> str:
    """Only same-site paths are followed after logging in (no open redirect)."""
    target = request.args.get("next", "")
    if not target.isprintable() or " " in target or "\\" in target:
        return default  # a line break or backslash would make a broken or foreign Location
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def sign_in(user: User) -> None:
    """Start a new login session: the browser's previous one (if any) is revoked, and the
    cookie is rebuilt from nothing, so no session id or CSRF token survives a login."""
    previous = current_user.get_id() if current_user.is_authenticated else None
    if previous is not None:
        logins.end_login(db(), previous)
        security_event("session_expired", level=logging.INFO, user=current_user.id,
                       reason="replaced by a new login")
    session.clear()
    logins.start_login(db(), user, user_agent=request.user_agent.string,
                       ip_address=request.remote_addr or "")
    db().commit()
    if previous is not None:
        revocation.end_login(previous)
    login_user(user)
    security_event("session_created", level=logging.INFO, user=user.id)


def _locked_out(limit: RequestLimit) -> Response | None:
    """Flask-Limiter's breach hook: log the refusal, let the 429 page follow."""
    security_event("authn_login_lock", limit=str(limit.limit))
    return None


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"],
               on_breach=_locked_out)
def signup() -> ResponseReturnValue:
    """Create an account and sign straight in."""
    form = SignUpForm()
    user = submit(form, lambda: _new_account(form))
    if user is None:
        return render_form("auth/signup.html", form)
    security_event("user_created", level=logging.INFO, user=user.id, by="self")
    sign_in(user)
    flash(_('Welcome to Circles! We sent a link to %(email)s: open it to confirm the address, then you can join communities. Meanwhile, start with what you bring and what you are working on.', email=user.email), "ok")
    return redirect(_safe_next(url_for("profile.edit")))


def _new_account(form: SignUpForm) -> User:
    user = accounts.sign_up(
        db(), email=form.email.data or "", password=form.password.data or "",
        display_name=form.display_name.data or "", timezone=form.timezone.data or "UTC")
    credentials.send_verification(db(), user, str(current_app.config["SECRET_KEY"]))
    return user


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               on_breach=_locked_out)
def login() -> ResponseReturnValue:
    """Log in with e-mail and password."""
    form = LoginForm()
    user = submit(form, lambda: accounts.authenticate(
        db(), email=form.email.data or "", password=form.password.data or ""
    ))
    if user is None:
        if request.method == "POST":
            security_event("authn_login_fail", user=_account_id(form.email.data or ""))
        return render_form("auth/login.html", form)
    if user.totp_secret:  # the password was right; the second factor is asked next
        session.clear()
        session[PENDING] = {"user": user.id, "at": time.time(),
                            "next": _safe_next(url_for("home.index"))}
        return redirect(url_for("auth.second_factor"))
    sign_in(user)
    security_event("authn_login_success", level=logging.INFO, user=user.id)
    return redirect(_safe_next(url_for("home.index")))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
               on_breach=_locked_out)
def second_factor() -> ResponseReturnValue:
    """The second step of a log-in with two-factor on: a code from the app or a recovery
    code, within a few minutes of the password."""
    pending = session.get(PENDING) or {}
    user = db().get(User, pending.get("user") or 0)
    if not pending and current_user.is_authenticated:
        return redirect(url_for("home.index"))  # logged in already: nothing to ask
    if user is None or not user.is_active or time.time() - pending.get("at", 0) > CODE_SECONDS:
        session.pop(PENDING, None)
        flash(_("Log in again: the code must follow the password within a few minutes."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.check(db(), user, form.code.data or ""):
            target = pending.get("next") or url_for("home.index")
            sign_in(user)  # commits the used-up recovery code with the new login
            security_event("authn_login_success", level=logging.INFO, user=user.id, mfa=True)
            return redirect(target)
        security_event("authn_login_fail", user=user.id, reason="second factor")
        form.code.errors = [WRONG_CODE]
    return render_form("auth/code.html", form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Log out and revoke this login session on the server, and end its open sockets."""
    token = current_user.get_id()
    logins.end_login(db(), token)
    db().commit()
    revocation.end_login(token)
    security_event("session_expired", level=logging.INFO, reason="logout")
    logout_user()
    session.clear()
    flash(_("You are logged out."), "ok")
    return redirect(url_for("home.index"))


@bp.route("/claim/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"],
               on_breach=_locked_out)
def claim(token: str) -> ResponseReturnValue:
    """An imported member sets their password through their personal link; the same link
    shape leads someone who already had an account to their invitation."""
    if invitations.is_invitation(db(), token):
        return redirect(url_for("invitations.show", token=token))
    user = accounts.invited_user(db(), token)
    form = ClaimForm(display_name=user.display_name)
    conducts = communities.conducts_to_accept(db(), user.id)

    def set_up() -> User:
        claimed = accounts.claim_account(db(), token=token, password=form.password.data or "",
                                         display_name=form.display_name.data or "")
        communities.accept_conducts(db(), claimed.id, accepted=bool(form.accept_conduct.data))
        return claimed

    claimed = submit(form, set_up)
    if claimed is None:
        return render_form("auth/claim.html", form, invited=user, conducts=conducts)
    security_event("authn_password_change", level=logging.INFO, user=claimed.id,
                   reason="claimed an imported account")
    sign_in(claimed)
    flash(_("Your account is ready. Check your profile so your circle knows you."), "ok")
    return redirect(url_for("profile.edit"))


def _account_id(email: str) -> int | str:
    """The id of the account a failed log-in named, for the log: never the typed text,
    which is sometimes a password typed into the wrong field."""
    found = db().scalar(select(User.id).where(User.email == email.strip().lower()))
    return found if found is not None else "unknown"
