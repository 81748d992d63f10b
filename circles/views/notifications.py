"""Notification centre, notification preferences, and the development e-mail outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from circles.extensions import current_member, db
from circles.models import OutboxMessage, User
from circles.notify import notifications
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("notifications", __name__)
OUTBOX_PAGE = 100


class CsrfForm(PlainForm):
    """The checkboxes are read as lists (one per kind); the form carries only the CSRF token."""



@bp.app_template_global()
def unread_notifications(user: User) -> int:
    """The badge in the navigation: how many in-app notifications ``user`` has not read."""
    return notifications.unread_count(db(), user.id)


@bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    """The member's notification centre, newest first."""
    items = notifications.inbox(db(), current_member().id)
    return render_template("notifications/index.html", items=items, form=CsrfForm())


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read; with ``open`` set, go on to what it is about."""
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    note = notifications.mark_read(db(), current_member().id, notification_id)
    db().commit()
    if request.form.get("open") and note.link.startswith("/") and not note.link.startswith("//"):
        return redirect(note.link)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def read_all() -> ResponseReturnValue:
    """Mark every notification of the member read."""
    form = CsrfForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired. Reload the page and try again.")
    count = notifications.mark_all_read(db(), current_member().id)
    db().commit()
    flash(ngettext('Marked %(num)d notification read.', 'Marked %(num)d notifications read.', count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    """Which kinds of notice the member receives in the app and by e-mail."""
    form = CsrfForm()
    user = current_member()

    def save() -> bool:
        notifications.set_preferences(db(), user.id, set(request.form.getlist("in_app")),
                                      set(request.form.getlist("email")))
        return True

    if submit(form, save):
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_form("notifications/settings.html", form,
                       choices=notifications.preferences(db(), user.id),
                       mail_on=bool(current_app.config.get("MAIL_SERVER")))


@bp.get("/dev/outbox")
def outbox() -> ResponseReturnValue:
    """Development outbox: the e-mails written for the logged-in member, or for the address
    in ``?to=`` (a reset link for someone logged out); 404 in production."""
    if not (current_app.debug or current_app.config.get("SHOW_DEV_OUTBOX")):
        abort(404)
    to = request.args.get("to") or (current_member().email if current_user.is_authenticated
                                    else "")
    messages = db().scalars(select(OutboxMessage).where(OutboxMessage.to == to.strip().lower())
                            .order_by(OutboxMessage.id.desc()).limit(OUTBOX_PAGE)).all()
    return render_template("notifications/outbox.html", messages=messages, to=to,
                           mail_on=bool(current_app.config.get("MAIL_SERVER")),
                           base_url=current_app.config.get("MAIL_BASE_URL", ""))
