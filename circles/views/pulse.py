"""Pulse checks on the web: the member's form, their own answers, and what facilitators see."""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from wtforms import RadioField, SelectChoice, TextAreaField

from circles.communities.circle import circles_in
from circles.communities.community import membership_of
from circles.errors import NotFound
from circles.extensions import current_member, db
from circles.growth import pulse
from circles.growth.pulse import COMMENT_MAX, OPTIONS, Due, Health
from circles.models import Circle, Community, Pulse, User, utcnow
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("pulse", __name__)
SCORES = [SelectChoice(5, _l("5 · working very well")), SelectChoice(4, _l("4 · working")),
          SelectChoice(3, _l("3 · so-so")), SelectChoice(2, _l("2 · not really")),
          SelectChoice(1, _l("1 · not working"))]


def _score(value: object) -> int | None:
    """Coerce a submitted score; the domain explains a missing or odd one beside the field."""
    try:
        return int(str(value))
    except ValueError:
        return None


class PulseForm(PlainForm):
    score = RadioField(_l("Is this circle working for you?"), choices=SCORES, coerce=_score,
                       validate_choice=False)
    comment = TextAreaField(_l("Anything to add? (optional)"),
                            description=_l('Only you will ever see this, up to %(COMMENT_MAX)s characters. Facilitators see averages only.', COMMENT_MAX=COMMENT_MAX))


@dataclass
class CirclePulse:
    """The pulse section of a circle page, for one viewer."""

    due: Due | None
    reasons: list[str]
    options: tuple[str, ...]
    health: Health | None  # facilitators only



def _facilitates(community_id: int) -> bool:
    membership = membership_of(db(), current_member().id, community_id)
    return membership is not None and membership.role == "facilitator"


def _seated_circle(circle_id: int) -> Circle:
    """A circle the member sits in now (closed ones too, to say they are closed); else 404."""
    circle = db().get(Circle, circle_id)
    if circle is None or not any(s.user_id == current_member().id for s in circle.current_seats):
        raise NotFound("circle")
    return circle


@bp.app_template_global()
def pulse_prompt(user: User) -> list[Due]:
    """Pulses the member owes now, for the prompt on the dashboard."""
    return pulse.pulse_due(db(), user)


@bp.app_template_global()
def circle_pulse(circle: Circle) -> CirclePulse:
    """The circle page's pulse prompt, at-risk suggestions, and aggregates for facilitators."""
    me = current_member()
    seated = any(s.user_id == me.id for s in circle.current_seats)
    facilitating = _facilitates(circle.community_id)
    if not (seated or facilitating):
        return CirclePulse(None, [], OPTIONS, None)
    health = pulse.health(db(), circle)
    return CirclePulse(pulse.due_in(db(), me, circle, utcnow()) if seated else None,
                       health.reasons, OPTIONS, health if facilitating else None)


@bp.app_template_global()
def circles_at_risk(community: Community) -> list[Health]:
    """The community's circles that look at risk, for its facilitators only (else empty)."""
    if not _facilitates(community.id):
        return []
    found = (pulse.health(db(), circle) for circle in circles_in(db(), community.id)
             if circle.closed_at is None)
    return [health for health in found if health.reasons]


@bp.route("/circles/<int:circle_id>/pulse", methods=["GET", "POST"])
@login_required
def check(circle_id: int) -> ResponseReturnValue:
    """A member tells how the circle is working for them."""
    circle = _seated_circle(circle_id)
    form = PulseForm()

    def answer() -> Pulse:
        saved = pulse.record_pulse(db(), current_member(), circle, score=form.score.data,
                                   comment=form.comment.data or "")
        pulse.notify_at_risk(db(), circle)
        return saved

    if submit(form, answer) is None:
        due = pulse.due_in(db(), current_member(), circle, utcnow())
        return render_form("pulse/form.html", form, circle=circle, due=due,
                           mine=pulse.own_pulses(db(), current_member(), circle))
    flash(_("Thank you. Your answer counts towards the circle's health; your comment stays "
          "with you."), "ok")
    return redirect(url_for("circles.show", circle_id=circle.id))


@bp.get("/pulses")
@login_required
def mine() -> ResponseReturnValue:
    """Every pulse answer the member gave, in every circle, each linked to reread it."""
    return render_template("pulse/mine.html",
                           answers=pulse.all_own_pulses(db(), current_member()))


@bp.get("/pulses/<int:pulse_id>")
@login_required
def show(pulse_id: int) -> ResponseReturnValue:
    """One pulse answer, for its author only (everyone else, facilitators too, gets 404)."""
    answer = pulse.own_pulse(db(), current_member(), pulse_id)
    return render_template("pulse/show.html", answer=answer,
                           circle=db().get_one(Circle, answer.circle_id))


@bp.cli.command("risks")
def risks_command() -> None:
    """Tell facilitators about circles at risk (each reason once); prints how many notices."""
    sent = pulse.notify_all_at_risk(db())
    db().commit()
    click.echo(ngettext('%(num)d at-risk notification sent.', '%(num)d at-risk notifications sent.', sent))
