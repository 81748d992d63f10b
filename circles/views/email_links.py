"""Pages behind the links Circles sends by e-mail: verify an address, confirm a new one,
and reset a forgotten password (with the form that asks for the link)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField

from circles.errors import Conflict
from circles.extensions import current_member, db, limiter
from circles.members import accounts, credentials, logins
from circles.security_log import security_event
from circles.views.auth import sign_in
from circles.views.forms import PlainForm, checked, render_form, submit
from realtime import revocation

bp = Blueprint("email_links", __name__)

SENT = (_l("If an account uses {email}, we have sent it a link to choose a new password. "
        "It works once, within {minutes} minutes."))


class ForgotForm(PlainForm):
    email = EmailField(_l("E-mail"), validators=[checked(accounts.normalise_email)])


class ResetForm(PlainForm):
    password = PasswordField(
        _l("New password"),
        validators=[checked(accounts.check_password)],
        description=_l('At least %(MIN_PASSWORD)s characters.', MIN_PASSWORD=accounts.MIN_PASSWORD))


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _typed_address() -> str:
    """The address typed into the forgotten-password form, as the per-address limit's key."""
    return "reset:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str) -> ResponseReturnValue:
    """The link sent at sign-up: a page with one button, so that a mail scanner opening
    the link verifies nothing; pressing it verifies the address (logged in or not)."""
    try:
        user = credentials.verification_user(db(), token, _secret())
        if request.method == "GET" or not FlaskForm().validate_on_submit():
            return render_template("auth/confirm_link.html", form=FlaskForm(),
                                   title=_("Confirm your e-mail address"),
                                   text=_('Confirm that %(email)s is yours.', email=user.email),
                                   button=_("Yes, this address is mine"))
        credentials.verify_email(db(), token, _secret())
    except Conflict as exc:
        db().rollback()
        return render_template("auth/link_problem.html", problem=exc.message), 410
    db().commit()
    security_event("user_email_verified", level=logging.INFO, user=user.id)
    flash(_("Thank you: your e-mail address is verified. You can join communities now."), "ok")
    return redirect(url_for("home.index"))


@bp.post("/verify/resend")
@login_required
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"])
def resend() -> ResponseReturnValue:
    """Send the verification link again to the member's own address."""
    me = current_member()
    if me.email_verified:
        flash(_("Your address is already verified."), "info")
    else:
        credentials.send_verification(db(), me, _secret())
        db().commit()
        flash(_('We sent a new link to %(email)s.', email=me.email), "ok")
    return redirect(request.referrer if _same_site(request.referrer) else url_for("home.index"))


def _same_site(target: str | None) -> bool:
    return bool(target) and str(target).startswith(request.host_url)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_PER_ADDRESS_LIMIT"], methods=["POST"],
               key_func=_typed_address)
def forgot() -> ResponseReturnValue:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_form("auth/forgot.html", form)
    credentials.request_reset(db(), form.email.data or "", _secret())
    db().commit()
    security_event("authn_password_reset_requested", level=logging.INFO)
    flash(SENT.format(email=form.email.data, minutes=credentials.RESET_MINUTES), "ok")
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def reset(token: str) -> ResponseReturnValue:
    """Choose a new password through a reset link: every other login and API token ends."""
    try:
        user = credentials.reset_user(db(), token, _secret())
    except Conflict as exc:
        return render_template("auth/link_problem.html", problem=exc.message), 410
    form = ResetForm()
    ended: list[str] = []

    def change() -> object:
        ended.extend(logins.end_everything(db(), user.id))
        return credentials.reset_password(db(), token, form.password.data or "", _secret())

    if submit(form, change) is None:
        return render_form("auth/reset.html", form, user=user)
    revocation.end_logins(ended)
    security_event("authn_password_change", level=logging.INFO, user=user.id, reason="reset")
    sign_in(user)
    flash(_("Your new password is set. Every other login of yours has ended."), "ok")
    return redirect(url_for("home.index"))


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> ResponseReturnValue:
    """The link sent to a new address: one button moves the account to it."""
    try:
        _user, new = credentials.change_request(db(), token, _secret())
        if request.method == "GET" or not FlaskForm().validate_on_submit():
            return render_template("auth/confirm_link.html", form=FlaskForm(),
                                   title=_("Use this e-mail address for Circles"),
                                   text=_('Your account will use %(new)s from now on.', new=new),
                                   button=_("Yes, move my account to this address"))
        user = credentials.confirm_email_change(db(), token, _secret())
    except Conflict as exc:
        db().rollback()
        return render_template("auth/link_problem.html", problem=exc.message), 410
    db().commit()
    security_event("user_email_changed", level=logging.INFO, user=user.id)
    flash(_('Your account now uses %(email)s.', email=user.email), "ok")
    target = "account.index" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))
