"""The site administrators' pages: communities at a glance and accounts to disable or enable."""

from __future__ import annotations

import logging

import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from circles import admin
from circles.errors import CirclesError
from circles.extensions import current_member, db
from circles.models import User
from circles.security_log import security_event

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _admin() -> User:
    user = current_member()
    admin.require_admin(user)
    return user


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Every community's size and facilitators, for site administrators only."""
    _admin()
    return render_template("admin/index.html", communities=admin.communities_overview(db()))


@bp.get("/accounts")
@login_required
def accounts() -> ResponseReturnValue:
    """Find accounts by e-mail or name, to disable or enable them."""
    _admin()
    query = request.args.get("q", "")
    return render_template("admin/accounts.html", query=query,
                           accounts=admin.find_accounts(db(), query), form=FlaskForm())


@bp.post("/accounts/<int:user_id>/<any(disable, enable):action>")
@login_required
def set_active(user_id: int, action: str) -> ResponseReturnValue:
    """Disable an account (its logins and live connections end at once) or enable it."""
    me = _admin()
    form = FlaskForm()
    if form.validate_on_submit():
        user = admin.set_active(db(), me, user_id, action == "enable")
        db().commit()
        security_event("authz_admin", level=logging.INFO, action=f"account_{action}",
                       target=user.id)
        flash((_("%(name)s's account is enabled.", name=user.display_name) if user.is_active else _("%(name)s's account is disabled.", name=user.display_name)),
              "ok")
    return redirect(url_for("admin.accounts", q=request.args.get("q", "")))


@bp.cli.command("grant")
@click.argument("email")
def grant_command(email: str) -> None:
    """Make the account with EMAIL a site administrator."""
    _set_site_admin(email, True)


@bp.cli.command("revoke")
@click.argument("email")
def revoke_command(email: str) -> None:
    """Take site administration away from the account with EMAIL."""
    _set_site_admin(email, False)


def _set_site_admin(email: str, granted: bool) -> None:
    try:
        user = admin.set_site_admin(db(), email, granted)
    except CirclesError as exc:
        db().rollback()
        raise click.ClickException(exc.message) from exc
    db().commit()
    security_event("authz_admin", level=logging.INFO,
                   action="site_admin_grant" if granted else "site_admin_revoke", target=user.id)
    click.echo(_('%(email)s is now a site administrator.', email=user.email) if granted
               else _('%(email)s is no longer a site administrator.', email=user.email))
