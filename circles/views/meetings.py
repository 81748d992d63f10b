"""Did we meet? on the web: the question for one session, the cards that ask it, the answer."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import SelectMultipleField, SubmitField
from wtforms.widgets import CheckboxInput, ListWidget

from circles.extensions import current_member, db
from circles.models import Circle, CircleSession, User, utcnow
from circles.sessions import meetings, scheduling
from circles.views.dates import local
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("meetings", __name__)
DONE = {
    "recorded": _l("Thank you: your circle's meeting is recorded."),
    "added": _l("Thank you: you are on the list of who was there."),
    "already": _l("That was recorded already; nothing changed."),
}


class MeetingForm(PlainForm):
    attended = SelectMultipleField(_l("Who was there?"), coerce=int, validate_choice=False,
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    met = SubmitField(_l("We met"))
    not_met = SubmitField(_l("We did not meet"))


@dataclass
class Question:
    """One session a member is asked about, with the form that answers it."""

    session: CircleSession
    form: MeetingForm


def _choices(session: CircleSession, me: User) -> list[tuple[int, str]]:
    return [(seat.user_id, seat.user.display_name + (" (you)" if seat.user_id == me.id else ""))
            for seat in session.circle.current_seats]


def _form(session: CircleSession, me: User) -> MeetingForm:
    """The question, unanswered: everyone ticked until told otherwise."""
    form = MeetingForm(formdata=None,
                       attended=[seat.user_id for seat in session.circle.current_seats])
    form.attended.choices = _choices(session, me)
    return form


@bp.app_template_global()
def meeting_questions(circle: Circle | None = None) -> list[Question]:
    """The "did your circle meet?" cards for the member (on the dashboard, or one circle page)."""
    me = current_member()
    return [Question(s, _form(s, me)) for s in meetings.questions(db(), me, circle=circle)]


# One rule for both methods: with two, a POST to an id too large for the URL would be answered
# 405 (the GET rule's path matched) instead of 404.
@bp.route("/sessions/<int:session_id>/meeting", methods=["GET", "POST"])
@login_required
def meeting(session_id: int) -> ResponseReturnValue:
    """A member sees the question for one session (or how it was answered), and answers it:
    whether the circle met and who was there, or that they were there too."""
    me = current_member()
    session = scheduling.session_for_member(db(), me, session_id)
    if request.method == "GET":
        return _page(session, _form(session, me))
    form = MeetingForm()
    form.attended.choices = _choices(session, me)
    outcome = submit(form, lambda: meetings.report(
        db(), me, session.id, met=not form.not_met.data, attended=form.attended.data or []))
    if outcome is None and form.form_errors and not form.errors:
        flash(form.form_errors[0], "error")  # e.g. someone else said first that you did not meet
        return redirect(url_for("meetings.meeting", session_id=session.id))
    if outcome is None:
        return _page(session, form)
    flash(DONE[outcome] if not form.not_met.data else
          _('Noted: your circle did not meet on %(session)s.', session=local(session.starts_at, 'session')), "ok")
    return redirect(url_for("circles.show", circle_id=session.circle_id, _anchor="sessions"))


def _page(session: CircleSession, form: MeetingForm) -> ResponseReturnValue:
    return render_form("sessions/meeting.html", form, session=session,
                       state=meetings.state(session, utcnow()), attendees=_attendees(session))


def _attendees(session: CircleSession) -> list[User]:
    ids = set(meetings.attendee_ids(db(), session))
    people = {seat.user_id: seat.user for seat in session.circle.seats if seat.user_id in ids}
    return sorted(people.values(), key=lambda user: user.display_name.casefold())
