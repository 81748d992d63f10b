"""Sessions on the web: plan, move and cancel them, rotate roles, and calendar files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import SelectField

from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import current_member, db
from circles.languages import language_of, term
from circles.models import Circle, CircleSession, SessionRole, utcnow
from circles.sessions import calendar as ics
from circles.sessions import formats, plans, roles, scheduling
from circles.views.dates import local
from circles.views.forms import PlainForm, render_form, submit
from circles.views.session_forms import (
    RescheduleForm,
    ScheduleForm,
    SessionsPanel,
    WriteupForm,
    sessions_panel,
)

bp = Blueprint("sessions", __name__)
FEED_PAST_DAYS = 30  # a feed keeps recent sessions, so calendar apps do not drop them at once


class SwapForm(PlainForm):
    swap_with = SelectField(_l("Swap with"), coerce=int, validate_choice=False)



@bp.app_template_global()
def circle_sessions(circle: Circle) -> SessionsPanel:
    """The sessions section of the circle page (templates/sessions/_panel.html)."""
    return sessions_panel(db(), circle, current_member())




def _room_base() -> str:
    """The site's own video service (``VIDEO_ROOM_BASE_URL``), or "" when it has none."""
    return str(current_app.config.get("VIDEO_ROOM_BASE_URL") or "")


def _back(session: CircleSession) -> ResponseReturnValue:
    return redirect(url_for("circles.show", circle_id=session.circle_id, _anchor="sessions"))


def _act(session: CircleSession, operation: Callable[[], Any], done: str) -> ResponseReturnValue:
    """Run a one-button action: commit and say so, or roll back and say why not."""
    try:
        operation()
        db().commit()
        flash(done, "ok")
    except (Conflict, InvalidInput) as exc:
        db().rollback()
        flash(exc.message if isinstance(exc, Conflict) else "; ".join(exc.errors.values()),
              "error")
    return _back(session)


@bp.route("/circles/<int:circle_id>/sessions/new", methods=["GET", "POST"])
@login_required
def new(circle_id: int) -> ResponseReturnValue:
    """A member plans a session, or a series that keeps its local time; the same form sent
    again finds what it planned the first time (and says so the same way)."""
    circle = scheduling.member_circle(db(), current_member(), circle_id)
    form = ScheduleForm(zone=current_member().timezone)
    planned = submit(form, lambda: plans.schedule_once(
        db(), circle, current_member(), form_key=form.form_key.data,
        date=form.date.data or "", time=form.time.data or "",
        timezone=form.timezone.data or "", duration_minutes=form.duration_minutes.data,
        title=form.title.data or "", cadence=form.cadence.data or None, count=form.count.data,
        video_url=form.video_url.data or "", location=form.location.data or "",
        create_room=bool(form.create_room.data), room_base=_room_base(),
        format=form.format.data or None,
    ))
    if planned is None:
        return render_form("sessions/new.html", form, circle=circle, room_base=_room_base())
    first = planned[0]
    flash(ngettext('Planned %(num)d session, on %(session)s.', 'Planned %(num)d sessions, the first on %(session)s.', len(planned), session=local(first.starts_at, 'session')), "ok")
    return _back(first)


@bp.route("/sessions/<int:session_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(session_id: int) -> ResponseReturnValue:
    """A member moves one planned session or changes its place; its roles stay."""
    session = scheduling.session_for_member(db(), current_member(), session_id)
    form = (RescheduleForm(zone=current_member().timezone) if request.method == "POST"
            else RescheduleForm.of(session, current_member().timezone))
    moved = submit(form, lambda: scheduling.reschedule(
        db(), session, current_member(), date=form.date.data or "", time=form.time.data or "",
        timezone=form.timezone.data or "", duration_minutes=form.duration_minutes.data,
        video_url=form.video_url.data or "", location=form.location.data or "",
        create_room=bool(form.create_room.data), room_base=_room_base()))
    if moved is None:
        return render_form("sessions/reschedule.html", form, session=session,
                           room_base=_room_base())
    flash(_('Moved to %(session)s.', session=local(moved.starts_at, 'session')), "ok")
    return _back(moved)


@bp.post("/sessions/<int:session_id>/writeup")
@login_required
def writeup(session_id: int) -> ResponseReturnValue:
    """The focus person of a clearness committee sends the circle their write-up ahead."""
    session = scheduling.session_for_member(db(), current_member(), session_id)
    form = WriteupForm()
    if not form.validate_on_submit():
        flash(_("This form could not be read. Reload the page and send it again."), "error")
        return _back(session)
    return _act(session, lambda: formats.save_writeup(db(), session, current_member(),
                                                      form.writeup.data or ""),
                _("Your write-up is on the circle page for the others to read."))


@bp.post("/sessions/<int:session_id>/cancel")
@login_required
def cancel(session_id: int) -> ResponseReturnValue:
    """A member calls off a planned session; it stays listed as cancelled."""
    session = scheduling.session_for_member(db(), current_member(), session_id)
    return _act(session, lambda: scheduling.cancel(db(), session, current_member()), _("Session cancelled."))


@bp.post("/sessions/<int:session_id>/roles/<role>/claim")
@login_required
def claim(session_id: int, role: str) -> ResponseReturnValue:
    """A member takes a vacant role."""
    session = scheduling.session_for_member(db(), current_member(), session_id)
    return _act(session, lambda: roles.claim_role(db(), session, role, current_member()),
                _('You are the %(role)s.', role=term(role)))


@bp.post("/sessions/<int:session_id>/roles/<role>/release")
@login_required
def release(session_id: int, role: str) -> ResponseReturnValue:
    """A member gives up their role; it is vacant for anyone to claim."""
    session = scheduling.session_for_member(db(), current_member(), session_id)
    return _act(session, lambda: roles.release_role(db(), session, role, current_member()),
                _('The %(role)s role is now vacant.', role=term(role)))


def _role_for_member(role_id: int) -> SessionRole:
    row = db().get(SessionRole, role_id)
    if row is None:
        raise NotFound("role")
    scheduling.session_for_member(db(), current_member(), row.session_id)
    return row


@bp.post("/roles/<int:role_id>/swap")
@login_required
def propose_swap(role_id: int) -> ResponseReturnValue:
    """The holder of a role proposes to exchange it for another member's role."""
    row = _role_for_member(role_id)
    form = SwapForm()
    if not form.validate_on_submit() or form.swap_with.data is None:
        flash(_("Choose a role to swap with."), "error")
        return _back(row.session)
    target = form.swap_with.data
    return _act(row.session, lambda: roles.propose_swap(db(), row, current_member(), target),
                _("Swap proposed; it happens when they accept."))


@bp.post("/roles/<int:role_id>/swap/accept")
@login_required
def accept_swap(role_id: int) -> ResponseReturnValue:
    """The member asked accepts a swap: the two roles change hands."""
    row = _role_for_member(role_id)
    return _act(row.session, lambda: roles.accept_swap(db(), row, current_member()), _("Roles swapped."))


@bp.post("/roles/<int:role_id>/swap/decline")
@login_required
def decline_swap(role_id: int) -> ResponseReturnValue:
    """The member asked declines a swap, or its proposer withdraws it."""
    row = _role_for_member(role_id)
    done = (_("Swap proposal withdrawn.") if row.swap_proposed_by_id == current_member().id
            else _("Swap declined; the roles stay as they were."))
    return _act(row.session, lambda: roles.decline_swap(db(), row, current_member()), done)


def _ics(data: bytes, filename: str | None = None) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-cache"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _calendar(sessions: list[CircleSession], name: str) -> bytes:
    return ics.calendar(
        sessions, name=name, host=request.host.partition(":")[0], stamp=utcnow(),
        circle_url=lambda cid: url_for("circles.show", circle_id=cid, _external=True))


@bp.get("/sessions/<int:session_id>.ics")
@login_required
def session_ics(session_id: int) -> ResponseReturnValue:
    """One session as a calendar file, for its circle's members."""
    session = scheduling.session_for_member(db(), current_member(), session_id)
    return _ics(_calendar([session], session.circle.name), f"circle-session-{session.id}.ics")


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> ResponseReturnValue:
    """A member's feed of their circles' sessions; the URL is the credential (no login)."""
    owner = ics.feed_owner(db(), current_app.config["SECRET_KEY"], token)
    if owner is None:
        raise NotFound("calendar")
    since = utcnow() - timedelta(days=FEED_PAST_DAYS)
    # A calendar app fetches the feed on its own: it is written in its owner's language.
    with force_locale(language_of(db(), owner)):
        return _ics(_calendar(scheduling.feed_sessions(db(), owner, since=since),
                              _("Circles sessions")))


@bp.get("/calendar")
@login_required
def calendar_page() -> ResponseReturnValue:
    """Where a member finds (or retires) the address of their calendar feed."""
    token = ics.feed_token(current_app.config["SECRET_KEY"], current_member())
    url = url_for("sessions.feed", token=token, _external=True) if token else None
    return render_template("sessions/calendar.html", feed_url=url)


@bp.post("/calendar/reset")
@login_required
def reset_calendar() -> ResponseReturnValue:
    """Give the member a new feed address; the old one stops working."""
    had_feed = current_member().calendar_nonce is not None
    ics.reset_feed(db(), current_member())
    db().commit()
    flash(_("New feed address made; the old one no longer works.") if had_feed
          else _("Your calendar feed is ready."), "ok")
    return redirect(url_for("sessions.calendar_page"))
