"""The account's keys: change the password or the e-mail address, see where one is logged
in and end those logins, and turn two-factor authentication on or off."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from circles.extensions import current_member, db, limiter
from circles.members import accounts, credentials, logins, two_factor
from circles.security_log import security_event
from circles.views.auth import CodeForm
from circles.views.forms import PlainForm, checked, render_form, submit
from realtime import revocation

bp = Blueprint("account_security", __name__, url_prefix="/account")

SETUP = "totp_setup"  # session key: the secret shown for setup, until confirmed by a code


class PasswordForm(PlainForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Type your current password."))])
    password = PasswordField(
        _l("New password"), validators=[checked(accounts.check_password)],
        description=_l('At least %(MIN_PASSWORD)s characters. Every other login of yours ends, and your API tokens stop working.', MIN_PASSWORD=accounts.MIN_PASSWORD))


class EmailForm(PlainForm):
    email = EmailField(_l("New e-mail address"), validators=[checked(accounts.normalise_email)])
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(message=_l("Type your password to confirm it is you."))])


class ConfirmPasswordForm(PlainForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])


def _rate() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_rate, methods=["POST"])
def password() -> ResponseReturnValue:
    """Change the password: this login stays, every other login and API token ends."""
    me = current_member()
    form = PasswordForm()
    ended: list[str] = []

    def change() -> bool:
        accounts.change_password(me, current=form.current_password.data or "",
                                 new=form.password.data or "")
        ended.extend(logins.end_everything(db(), me.id, keep=me.get_id()))
        return True

    if submit(form, change) is None:
        return render_form("account/password.html", form)
    revocation.end_logins(ended)
    security_event("authn_password_change", level=logging.INFO, user=me.id)
    flash(_("Your password is changed. Every other login has ended and your API tokens were "
          "revoked; create new ones where you need them."), "ok")
    return redirect(url_for("account.index"))


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_rate, methods=["POST"])
def email() -> ResponseReturnValue:
    """Ask to move the account to a new address; it changes once that address confirms."""
    me = current_member()
    form = EmailForm()
    new = submit(form, lambda: credentials.request_email_change(
        db(), me, new_email=form.email.data or "", password=form.password.data or "",
        secret=str(current_app.config["SECRET_KEY"])))
    if new is None:
        return render_form("account/email.html", form, user=me)
    flash(_('We sent a link to %(new)s. Your address changes when you open it; until then %(email)s stays.', new=new, email=me.email), "ok")
    return redirect(url_for("account.index"))


@bp.get("/logins")
@login_required
def logins_page() -> ResponseReturnValue:
    """Where the member is logged in: browser, address, when last seen."""
    me = current_member()
    config = current_app.config
    rows = logins.logins_of(db(), me.id, lifetime=logins.Lifetime.days(
        float(config["LOGIN_IDLE_DAYS"]), float(config["LOGIN_MAX_DAYS"])))
    return render_template("account/logins.html", logins=rows, browser_of=logins.browser_of,
                           current=logins.digest(me.get_id()), form=FlaskForm())


@bp.post("/logins/<int:login_id>/end")
@login_required
def end_login(login_id: int) -> ResponseReturnValue:
    """End one of the member's logins (their own other browser, or a stolen one)."""
    me = current_member()
    form = FlaskForm()
    ended = submit(form, lambda: logins.end_login_by_id(db(), me, login_id))
    if ended is None:
        return redirect(url_for(".logins_page"))
    revocation.end_logins([ended])
    security_event("session_expired", level=logging.INFO, user=me.id, reason="ended by member")
    if ended == logins.digest(me.get_id()):
        return _logged_out(_("This login has ended."))
    flash(_("That login has ended."), "ok")
    return redirect(url_for(".logins_page"))


@bp.post("/logins/end-all")
@login_required
def end_all() -> ResponseReturnValue:
    """Log out everywhere, this browser included."""
    me = current_member()
    ended = submit(FlaskForm(), lambda: logins.end_all_logins(db(), me.id))
    if ended is None:
        return redirect(url_for(".logins_page"))
    revocation.end_logins(ended)
    security_event("session_expired", level=logging.INFO, user=me.id, reason="everywhere")
    return _logged_out(_("You are logged out everywhere."))


def _logged_out(message: str) -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash(message, "ok")
    return redirect(url_for("home.index"))


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(_rate, methods=["POST"])
def two_factor_page() -> ResponseReturnValue:
    """Turn two-factor on: scan the code, type what the app shows, keep the recovery codes."""
    me = current_member()
    if me.totp_secret:
        return render_form("account/two_factor.html", ConfirmPasswordForm(), user=me)
    secret = session.get(SETUP) or two_factor.new_secret()
    session[SETUP] = secret
    form = CodeForm()
    codes = submit(form, lambda: two_factor.enable(me, secret, form.code.data or ""))
    if codes is None:
        uri = two_factor.setup_uri(me, secret)
        return render_form("account/two_factor.html", form, user=me, secret=secret,
                           qr=two_factor.qr_svg(uri))
    session.pop(SETUP, None)
    security_event("authn_mfa_enabled", level=logging.INFO, user=me.id)
    return render_template("account/recovery_codes.html", codes=codes)


@bp.post("/two-factor/off")
@login_required
@limiter.limit(_rate)
def two_factor_off() -> ResponseReturnValue:
    """Turn two-factor off after the password is given again."""
    me = current_member()
    if not me.totp_secret:
        return redirect(url_for(".two_factor_page"))
    form = ConfirmPasswordForm()
    if submit(form, lambda: two_factor.disable(me, form.password.data or "")) is None:
        return render_form("account/two_factor.html", form, user=me)
    security_event("authn_mfa_disabled", level=logging.INFO, user=me.id)
    flash(_("Two-factor authentication is off."), "ok")
    return redirect(url_for("account.index"))
