"""Ending well: call it a day, closing reflections, re-group consent, a place in the next round."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Length

from circles.communities import circle, ending
from circles.errors import NotFound
from circles.extensions import current_member, db
from circles.models import Circle, Membership
from circles.models.ending import MAX_REFLECTION
from circles.views.forms import PlainForm, render_form, submit
from realtime import revocation

bp = Blueprint("ending", __name__)


class LeaveForm(PlainForm):
    reason = TextAreaField(_l("Why (optional, private)"), validators=[Length(max=500)],
                           description=_l("Only you will ever see this: not the circle, not the "
                                       "facilitators."))
    rematch = BooleanField(_l("Place me in the next formation round"), default=True)


class ChoiceForm(PlainForm):
    wanted = HiddenField()


class ReflectionForm(PlainForm):
    learned = TextAreaField(_l("What I learned"), validators=[Length(max=MAX_REFLECTION)])
    appreciated = TextAreaField(_l("What I appreciated"), validators=[Length(max=MAX_REFLECTION)])


def _my_circle(circle_id: int) -> Circle:
    """A circle the viewer sits in now; anyone else (facilitators too) gets 404."""
    circle_row = circle.circle_for_viewer(db(), current_member(), circle_id)
    if not ending.seated(circle_row, current_member()):
        raise NotFound("circle")
    return circle_row


@bp.route("/circles/<int:circle_id>/leave", methods=["GET", "POST"])
@login_required
def leave(circle_id: int) -> ResponseReturnValue:
    """A member calls it a day in a circle, with a private reason if they like."""
    circle_row = _my_circle(circle_id)
    form = LeaveForm()
    seat = submit(form, lambda: ending.call_it_a_day(
        db(), current_member(), circle_row, form.reason.data or "", rematch=bool(form.rematch.data)))
    if seat is None:
        return render_form("ending/leave.html", form, circle=circle_row)
    revocation.left_circle(db(), circle_row.id, current_user.id)
    flash(_('You have left %(name)s. Thank you for the time you gave it.', name=circle_row.name), "ok")
    return redirect(url_for("ending.endings"))


@bp.get("/circles/<int:circle_id>/closing")
@login_required
def closing(circle_id: int) -> ResponseReturnValue:
    """The circle's closing reflection round, read by its members only."""
    return _closing(_my_circle(circle_id), ReflectionForm(formdata=None))


def _closing(circle_row: Circle, form: ReflectionForm) -> ResponseReturnValue:
    rows = ending.reflections(db(), current_member(), circle_row)
    mine = next((r for r in rows if r.user_id == current_user.id), None)
    if mine is not None and not form.is_submitted():
        form.learned.data, form.appreciated.data = mine.learned, mine.appreciated
    return render_form("ending/closing.html", form, circle=circle_row, reflections=rows)


@bp.post("/circles/<int:circle_id>/reflection")
@login_required
def reflect(circle_id: int) -> ResponseReturnValue:
    """A member writes (or rewrites) what they learned and appreciated."""
    circle_row = _my_circle(circle_id)
    form = ReflectionForm()
    row = submit(form, lambda: ending.reflect(db(), current_member(), circle_row,
                                              learned=form.learned.data or "",
                                              appreciated=form.appreciated.data or ""))
    if row is None:
        return _closing(circle_row, form)
    flash(_("Your reflection is shared with the circle."), "ok")
    return redirect(url_for("ending.closing", circle_id=circle_id))


@bp.post("/circles/<int:circle_id>/close")
@login_required
def close(circle_id: int) -> ResponseReturnValue:
    """A member or a facilitator closes the circle; its history and ties stay."""
    circle_row = circle.circle_for_viewer(db(), current_member(), circle_id)
    ending.close_circle(db(), current_member(), circle_row)
    db().commit()
    flash(_('%(name)s is closed. Its history and your ties stay.', name=circle_row.name), "ok")
    if ending.seated(circle_row, current_member()):
        return redirect(url_for("ending.closing", circle_id=circle_id))
    return redirect(url_for("circles.show", circle_id=circle_id))


@bp.get("/endings")
@login_required
def endings() -> ResponseReturnValue:
    """Circles that ended early for the viewer: re-group consent, rematch choice, own reasons."""
    memberships = db().scalars(select(Membership).where(
        Membership.user_id == current_user.id, Membership.role == "member")).all()
    return render_template("ending/endings.html", ties=ending.ended_ties(db(), current_member()),
                           memberships=memberships,
                           departures=ending.my_departures(db(), current_member()))


def _choice() -> bool:
    form = ChoiceForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    return bool(form.wanted.data == "1")


@bp.post("/endings/rematch/<int:community_id>")
@login_required
def rematch(community_id: int) -> ResponseReturnValue:
    """Join or step out of the community's next formation round."""
    membership = ending.set_rematch(db(), current_member(), community_id, _choice())
    db().commit()
    flash(_("You are in the next formation round.") if membership.wants_rematch else
          _("You are taking a break: the next formation round will leave you out."), "ok")
    return redirect(url_for("ending.endings"))


@bp.post("/endings/regroup/<int:circle_id>/<int:other_id>")
@login_required
def regroup(circle_id: int, other_id: int) -> ResponseReturnValue:
    """Say (or withdraw) that one is open to a circle with someone again."""
    both = ending.set_regroup_consent(db(), current_member(), circle_id, other_id, _choice())
    db().commit()
    flash(_("You are both open to it: formation may group you again.") if both else
          _("Saved. Formation keeps you apart unless you both say yes."), "ok")
    return redirect(url_for("ending.endings"))
