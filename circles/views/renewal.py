"""Renew or remix on the circle page: the cycle length, and each member's private choice at
the end of a cycle."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import RadioField, SelectChoice, StringField

from circles.communities import circle, ending, renewal
from circles.communities import community as communities
from circles.errors import NotFound
from circles.extensions import current_member, db
from circles.models import Circle
from circles.models.renewal import CHOICES
from circles.views.circles import show_circle
from circles.views.forms import PlainForm, submit

bp = Blueprint("renewal", __name__)

CHOICE_WORDS = {"renew": _l("Renew this circle"), "remix": _l("Meet new people")}
OUTCOMES = {
    "waiting": _l("Your choice is saved; only you see it. The circle hears the outcome once "
                  "everyone has chosen."),
    "renewed": _l("Everyone renewed: the circle continues for another cycle."),
    "remixed": _l("The circle ends with this cycle; its members will meet new people in the "
                  "next formation round."),
}


class CycleForm(PlainForm):
    # The domain checks the number and says what is wrong in words.
    cycle_sessions = StringField(_l("Sessions in a cycle"),
                                 description=_l("For example 6 or 12; leave empty for no cycles."))


class RenewalForm(PlainForm):
    choice = RadioField(_l("At the end of this cycle"), choices=[SelectChoice(c, CHOICE_WORDS[c]) for c in CHOICES],
                        validate_choice=False)


def _mine(circle_id: int) -> Circle:
    """The circle, for a member seated in it or the community's facilitator (cycle length)."""
    row = circle.circle_for_viewer(db(), current_member(), circle_id)
    membership = communities.membership_of(db(), current_member().id, row.community_id)
    if not ending.seated(row, current_member()) and (
            membership is None or membership.role != "facilitator"):
        raise NotFound("circle")
    return row


def refused(row: Circle, form: PlainForm) -> ResponseReturnValue:
    """The circle page again, with what was wrong next to the renewal section."""
    problems = [e for f in form for e in f.errors] + list(form.form_errors)
    status = 409 if form.form_errors else 422
    return show_circle(row, status, renewal_errors=problems)


@bp.post("/circles/<int:circle_id>/cycle")
@login_required
def cycle(circle_id: int) -> ResponseReturnValue:
    """A member (or the facilitator) sets how many sessions a cycle of the circle has."""
    row = _mine(circle_id)
    form = CycleForm()
    done = submit(form, lambda: renewal.set_cycle(db(), row, form.cycle_sessions.data))
    if done is None:
        return refused(row, form)
    flash(_("Cycles of %(num)s sessions.", num=row.cycle_sessions) if row.cycle_sessions
          else _("This circle has no cycles."), "ok")
    return redirect(url_for("circles.show", circle_id=row.id, _anchor="renewal"))


@bp.post("/circles/<int:circle_id>/renewal")
@login_required
def choose(circle_id: int) -> ResponseReturnValue:
    """A member's private choice at the end of a cycle: renew the circle or meet new people."""
    row = circle.circle_for_viewer(db(), current_member(), circle_id)
    if not ending.seated(row, current_member()):
        raise NotFound("circle")
    form = RenewalForm()
    outcome = submit(form, lambda: renewal.choose(db(), row, current_member().id,
                                                  form.choice.data))
    if outcome is None:
        return refused(row, form)
    flash(str(OUTCOMES[outcome]), "ok")
    return redirect(url_for("circles.show", circle_id=row.id, _anchor="renewal"))
