"""Introductions on the web: ask a mutual contact, who agrees or declines; the other accepts."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy.exc import IntegrityError
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import current_member, db
from circles.models import Introduction, User
from circles.network import introduction_contacts as contacts
from circles.network import introductions
from circles.network.introductions import Panel, Suggestion
from circles.views.forms import PlainForm, render_form, submit
from realtime import broadcast

bp = Blueprint("introductions", __name__)


class ShareForm(PlainForm):
    """What one of the two lets the other reach them by, once both said yes."""

    # No default: a client that sends no choice shares nothing (the pages offer e-mail first).
    shares = RadioField(_l("How they can reach you once you are both in"),
                        choices=[SelectChoice("email", _l("My e-mail address")),
                                 SelectChoice("other", _l("Another way (below)")),
                                 SelectChoice("none", _l("Nothing for now"))],
                        validate_choice=False)
    contact = StringField(_l("Another way to reach you"),
                          description=_l("E.g. a phone number or a profile link; only the two of "
                                      "you ever see it."))
    next = HiddenField()


class RequestForm(ShareForm):
    target_id = IntegerField(_l("Who you would like to meet"), validators=[Optional()])
    broker_id = IntegerField(_l("Who could introduce you"), validators=[Optional()])
    reason = TextAreaField(_l("Why you would like to meet them"),
                           description=_l("A line or two for your mutual contact (under 500 characters)."))


class AgreeForm(PlainForm):
    note = TextAreaField(_l("Your line of introduction"),
                         description=_l("They both read it (under 500 characters)."))
    next = HiddenField()



@bp.app_template_global()
def introductions_panel(user: User) -> Panel:
    """The introductions section (templates/introductions/_panel.html) for ``user``."""
    return introductions.panel(db(), user)


@bp.app_template_global()
def introduction_status(intro: Introduction, user: User) -> str:
    """Where ``intro`` stands, as much as ``user`` may know."""
    return introductions.status_line(intro, user.id)


def _back() -> ResponseReturnValue:
    """Back to the page the form was on (same-site paths only), else the introductions page."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return redirect(target)
    return redirect(url_for("introductions.index"))


def _nudge(intro: Introduction, *member_ids: int) -> None:
    """Tell members an introduction waits for them (no names or text travel)."""
    for member_id in member_ids:
        broadcast.to_member(member_id, "introduction", {"id": intro.id, "status": intro.status})


@bp.get("/introductions")
@login_required
def index() -> ResponseReturnValue:
    """The member's introductions: suggestions, what waits for them, and their requests."""
    return render_template("introductions/index.html")


def _suggestion(target_id: int | None, broker_id: int | None) -> Suggestion | None:
    return next((s for s in introductions.suggestions(db(), current_member().id, limit=50)
                 if s.target_id == target_id and s.broker_id == broker_id), None)


@bp.route("/introductions/request", methods=["GET", "POST"])
@login_required
def request_introduction() -> ResponseReturnValue:
    """A member asks a mutual contact to introduce them to someone two steps away."""
    form = RequestForm()
    if request.method == "GET":
        form.target_id.data = request.args.get("target", type=int)
        form.broker_id.data = request.args.get("broker", type=int)
        form.next.data = request.args.get("next", "")
        form.shares.data = "email"
    try:
        made = submit(form, lambda: introductions.request_introduction(
            db(), current_member(), form.target_id.data or 0, form.broker_id.data or 0,
            form.reason.data or "", form.shares.data or "none", form.contact.data or ""))
    except IntegrityError:  # a second submit raced the first one: it is already asked
        db().rollback()
        form.target_id.errors = [_("You already asked for this introduction; it is still open.")]
        made = None
    if made is None:
        return render_form("introductions/request.html", form,
                           suggestion=_suggestion(form.target_id.data, form.broker_id.data))
    _nudge(made, made.broker_id)
    flash(_('Asked %(display_name)s to introduce you to %(display_name2)s.', display_name=made.broker.display_name, display_name2=made.target.display_name),
          "ok")
    return _back()


@bp.route("/introductions/<int:intro_id>/agree", methods=["GET", "POST"])
@login_required
def agree(intro_id: int) -> ResponseReturnValue:
    """The mutual contact agrees to introduce the two and writes them a line."""
    intro = introductions.introduction_for(db(), current_member(), intro_id, "broker")
    form = AgreeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    done = submit(form, lambda: introductions.broker_agree(db(), current_member(), intro_id,
                                                           form.note.data or ""))
    if done is None:
        return render_form("introductions/agree.html", form, intro=intro)
    _nudge(done, done.target_id)
    flash(_('Thank you: %(display_name)s has been asked.', display_name=done.target.display_name), "ok")
    return _back()


def _act(operation: Callable[[], Introduction], done: str,
         after: Callable[[Introduction], None] | None = None) -> ResponseReturnValue:
    """A one-button step: commit and say so, or roll back and say why not."""
    try:
        intro = operation()
        db().commit()
    except (Conflict, InvalidInput) as exc:
        db().rollback()
        flash(exc.message, "error")
        return _back()
    if after is not None:
        after(intro)
    flash(done, "ok")
    return _back()


@bp.post("/introductions/<int:intro_id>/decline")
@login_required
def decline(intro_id: int) -> ResponseReturnValue:
    """The mutual contact or the person asked about declines; nobody is told who or why."""
    return _act(lambda: introductions.decline(db(), current_member(), intro_id),
                _("Declined. The others only learn that it did not go ahead."))


@bp.post("/introductions/<int:intro_id>/accept")
@login_required
def accept(intro_id: int) -> ResponseReturnValue:
    """The person asked about accepts, saying how they may be reached: the two are connected,
    and the page of the introduction shows how to reach each other."""
    form = ShareForm()
    try:
        intro = introductions.target_accept(db(), current_member(), intro_id,
                                            form.shares.data or "none", form.contact.data or "")
        db().commit()
    except InvalidInput as exc:
        db().rollback()
        for problem in exc.errors.values():  # each problem, in words, on the page it came from
            flash(problem, "error")
        return _back()
    except Conflict as exc:
        db().rollback()
        flash(exc.message, "error")
        return _back()
    _nudge(intro, intro.requester_id, intro.broker_id)
    name = intro.requester.display_name
    flash(_('Accepted: you and %(name)s are connected. %(requester)s', name=name, requester=contacts.reach_line(name, contacts.contact_of(intro, 'requester'))), "ok")
    return redirect(url_for("introductions.show", intro_id=intro.id))


@bp.get("/introductions/<int:intro_id>")
@login_required
def show(intro_id: int) -> ResponseReturnValue:
    """One introduction for the people in it; how to reach each other, for the two alone."""
    me = current_member()
    intro = introductions.introduction_for(db(), me, intro_id)
    form = ShareForm(formdata=None, data=_sharing(intro, me.id))
    return render_template("introductions/show.html", intro=intro, form=form,
                           theirs=contacts.shared_with(intro, me.id))


@bp.post("/introductions/<int:intro_id>/contact")
@login_required
def contact(intro_id: int) -> ResponseReturnValue:
    """One of the two changes or withdraws how the other may reach them."""
    me = current_member()
    intro = introductions.introduction_for(db(), me, intro_id)
    if contacts.shared_with(intro, me.id) is None:
        raise NotFound("introduction")
    form = ShareForm()
    if submit(form, lambda: contacts.edit_contact(intro, me, form.shares.data or "",
                                                  form.contact.data or "")) is None:
        return render_form("introductions/show.html", form, intro=intro,
                           theirs=contacts.shared_with(intro, me.id))
    flash(_("Saved: this is what they see now."), "ok")
    return redirect(url_for("introductions.show", intro_id=intro.id))


def _sharing(intro: Introduction, user_id: int) -> dict[str, str]:
    """What ``user_id`` shares now, to fill the form (the two only; else the default)."""
    if contacts.shared_with(intro, user_id) is None:
        return {}
    who = contacts.side(intro, user_id)
    return {"shares": getattr(intro, f"{who}_shares"), "contact": getattr(intro, f"{who}_contact")}


@bp.post("/introductions/<int:intro_id>/withdraw")
@login_required
def withdraw(intro_id: int) -> ResponseReturnValue:
    """The requester withdraws an open request."""
    return _act(lambda: introductions.withdraw(db(), current_member(), intro_id), _("Request withdrawn."))
