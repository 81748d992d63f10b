"""Safety: blocking a member, concerns reported to a community's safety contacts, and the
facilitator's safety settings (who the safety contacts are, the code of conduct)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import SelectChoice, SelectField, SelectMultipleField, TextAreaField

from circles.communities import community as communities
from circles.communities import safety
from circles.extensions import current_member, db
from circles.languages import number
from circles.members import blocks, profiles
from circles.models import Community
from circles.models.safety import MAX_CONCERN
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("safety", __name__)


class ConcernForm(PlainForm):
    # Lengths and choices are checked by the domain, which says what is wrong in words.
    subject_id = SelectField(_l("Who is it about? (optional)"), coerce=int, validate_choice=False)
    text = TextAreaField(_l("What happened"), description=_l(
        "In your own words; up to %(max)s characters.", max=number(MAX_CONCERN)))


class SafetyForm(PlainForm):
    contacts = SelectMultipleField(_l("Safety contacts"), coerce=int, validate_choice=False,
                                   description=_l("They read the concerns members report, and "
                                                  "nothing of any session."))
    conduct = TextAreaField(_l("Code of conduct"), description=_l(
        "Members accept it when they join; leave empty to ask for none."))


@bp.post("/members/<int:user_id>/block")
@login_required
def block(user_id: int) -> ResponseReturnValue:
    """Block a member whose profile I can see: we are never grouped or introduced again and
    neither of us sees the other's profile."""
    me = current_member()
    person = profiles.visible_member(db(), me, user_id)
    blocks.block(db(), me, person)
    db().commit()
    flash(_("You blocked %(name)s: you will not be placed in a circle or introduced to each "
            "other, and neither of you sees the other's profile.", name=person.display_name), "ok")
    return redirect(url_for("safety.my_blocks"))


@bp.get("/account/blocks")
@login_required
def my_blocks() -> ResponseReturnValue:
    """The members I blocked (only I see this list), each with a way to lift the block."""
    return render_template("safety/blocks.html", blocked=blocks.blocked_by(db(), current_member().id))


@bp.post("/account/blocks/<int:user_id>/lift")
@login_required
def lift(user_id: int) -> ResponseReturnValue:
    """Lift a block I made; anyone else's is not found."""
    blocks.unblock(db(), current_member(), user_id)
    db().commit()
    flash(_("The block is lifted."), "ok")
    return redirect(url_for("safety.my_blocks"))


def _choices(community: Community, leave_out: int) -> list[SelectChoice]:
    return [SelectChoice(m.user_id, m.user.display_name)
            for m in communities.roster(db(), community.id) if m.user_id != leave_out]


@bp.route("/communities/<int:community_id>/concerns/new", methods=["GET", "POST"])
@login_required
def report(community_id: int) -> ResponseReturnValue:
    """Report a concern to the community's safety contacts."""
    me = current_member()
    community, _membership = communities.community_for_member(db(), me, community_id)
    form = ConcernForm()
    form.subject_id.choices = [SelectChoice(0, _("Nobody in particular")), *_choices(community, me.id)]
    made = submit(form, lambda: safety.report_concern(
        db(), me, community.id, form.text.data or "", form.subject_id.data or None))
    if made is None:
        return render_form("safety/report.html", form, community=community,
                           contacts=safety.safety_contacts(db(), community.id))
    flash(_("Your report reached the community's safety contacts."), "ok")
    return redirect(url_for("communities.show", community_id=community.id))


@bp.get("/communities/<int:community_id>/concerns")
@login_required
def concerns(community_id: int) -> ResponseReturnValue:
    """The concerns reported in a community, for its safety contacts only."""
    found = safety.concerns_for(db(), current_member(), community_id)
    community, _membership = communities.community_for_member(db(), current_member(),
                                                              community_id)
    return render_template("safety/concerns.html", community=community, concerns=found)


@bp.route("/communities/<int:community_id>/safety", methods=["GET", "POST"])
@login_required
def settings(community_id: int) -> ResponseReturnValue:
    """A facilitator names the safety contacts and sets the code of conduct."""
    community = communities.community_for_facilitator(db(), current_member(), community_id)
    form = SafetyForm(data={"contacts": [u.id for u in safety.safety_contacts(db(), community.id)],
                            "conduct": community.conduct})
    form.contacts.choices = _choices(community, 0)
    done = submit(form, lambda: (
        safety.set_safety_contacts(db(), community, set(form.contacts.data or [])),
        safety.set_conduct(db(), community, form.conduct.data or "")))
    if done is None:
        return render_form("safety/settings.html", form, community=community)
    flash(_("Safety settings saved."), "ok")
    return redirect(url_for("safety.settings", community_id=community.id))
