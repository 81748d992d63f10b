"""The member's own account: download all their data, or delete the account for good."""

from __future__ import annotations

import json
import logging

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required, logout_user
from wtforms import PasswordField
from wtforms.validators import DataRequired

from circles.database import empty_write_ahead_log
from circles.extensions import current_member, db, limiter, orm
from circles.members import erasure
from circles.members import export as account_data
from circles.models import User
from circles.security_log import security_event
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("account", __name__, url_prefix="/account")


class DeleteForm(PlainForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()],
                             description=_l("Asked again so that nobody else at this browser can "
                                         "delete your account."))



@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """What the member can do with their data: download it, or delete the account."""
    return render_template("account/index.html", user=current_member())


@bp.get("/export")
@login_required
def export() -> ResponseReturnValue:
    """All of the member's data as one JSON file, for them alone."""
    me = current_member()
    data = account_data.export(db(), me)
    # Not an OWASP vocabulary name: the cheat sheet has no event for a member's own export.
    security_event("user_data_exported", level=logging.INFO, user=me.id)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="circles-export-{me.id}.json"',
        "Cache-Control": "no-store"})


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def delete() -> ResponseReturnValue:
    """Explain what deleting removes and what stays; delete after the password is given."""
    me = current_member()
    form = DeleteForm()
    blocked = erasure.handover_needed(db(), me)
    user_id = me.id
    done = submit(form, lambda: _erase(me, form.password.data or ""))
    if done is None:
        return render_form("account/delete.html", form, blocked=blocked,
                           tombstone=erasure.TOMBSTONE)
    # Committed; before anything opens another transaction, take the erased words out of
    # SQLite's write-ahead log too (the database file's copies are zeroed: secure_delete).
    if not empty_write_ahead_log(orm.engine):
        current_app.logger.warning("write-ahead log not emptied after an erasure (busy)")
    security_event("user_deleted", user=user_id)  # he is gone: no current_member() to ask
    logout_user()
    session.clear()
    flash(_("Your account and your data are deleted. Thank you for the time you gave "
          "your circles."), "ok")
    return redirect(url_for("home.index"))


def _erase(me: User, password: str) -> bool:
    erasure.confirm_password(me, password)
    erasure.erase_account(db(), me)
    return True
