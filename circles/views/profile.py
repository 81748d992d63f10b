"""The member's own profile: what they bring, what they are working on, when they are free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_babel.speaklater import LazyString
from flask_login import login_required

from circles.errors import NotFound
from circles.extensions import current_member, db
from circles.members import meeting_hours, profiles, topics
from circles.network import ties
from circles.views.forms import render_form, submit
from circles.views.profile_forms import (
    DAY_NAMES,
    SECTION_FORMS,
    AboutForm,
    AvailabilityForm,
    BoundaryForm,
    LearningGoalForm,
    QuestionForm,
    SectionForm,
    StrengthForm,
    SuccessCriterionForm,
)

bp = Blueprint("profile", __name__)

#: Where each kind of item is listed on the page, and what it is called in a flash.
ANCHORS = {
    "strength": ("strengths", _l("Strength")), "question": ("questions", _l("Question")),
    "learning_goal": ("learning-goals", _l("Learning goal")),
    "boundary": ("boundaries", _l("Boundary")),
    "success_criterion": ("success-criteria", _l("Success criterion")),
    "availability": ("availability", _l("Availability window")),
}



def _page(submitted: SectionForm | None = None) -> ResponseReturnValue:
    """The whole profile page; the submitted form keeps what was typed and its errors."""
    me = current_member()
    forms: dict[str, Any] = {"about_form": AboutForm.of(me)}
    forms.update({name: cls(formdata=None) for name, cls in SECTION_FORMS.items()})
    for name, form in forms.items():
        if submitted is not None and type(form) is type(submitted):
            forms[name] = submitted
    context = {
        "user": me, "vocabulary": topics.vocabulary_for(db(), me.id),
        "unmatched": topics.unmatched(db(), me.id),
        "hours_hint": meeting_hours.hours_hint(db(), me),
        "known": ties.people_known_by(db(), me.id), "weekdays": DAY_NAMES,
        "clock": profiles.format_clock, "background_fields": profiles.BACKGROUND_FIELDS,
        **forms,
    }
    if submitted is None:
        return render_template("profile/edit.html", **context)
    return render_form("profile/edit.html", submitted, **context)


def _save(form: SectionForm, anchor: str, message: str | LazyString,
          operation: Callable[[], object]) -> ResponseReturnValue:
    saved = submit(form, operation)
    if saved is None:
        return _page(form)
    refresh()  # a new language of the member's own: the confirmation is already in it
    flash(str(message), "ok")
    key = getattr(saved, "topic_key", "")
    if key and key in topics.unmatched(db(), current_member().id):
        flash(_('“%(key)s” is not a topic your community uses yet, so nobody can be matched with you on it: see the suggestions beside it, or leave it for your facilitator to map.', key=getattr(saved, 'topic', key)), "warning")
    return redirect(url_for("profile.edit", _anchor=anchor))


@bp.get("/profile")
@login_required
def edit() -> ResponseReturnValue:
    """Show the member's whole profile, one small form per section."""
    return _page()


@bp.post("/profile")
@login_required
def about() -> ResponseReturnValue:
    """Save name, time zone, organisation, bio and the consented background."""
    form = AboutForm()
    return _save(form, "about", _l("Your details are saved."),
                 lambda: profiles.update_profile(db(), current_member(), form.data))


@bp.post("/profile/strengths")
@login_required
def add_strength() -> ResponseReturnValue:
    """Add a strength: a topic, what I can offer on it and how experienced I am."""
    form = StrengthForm()
    return _save(form, "strengths", _("Strength added."), lambda: profiles.add_strength(
        db(), current_member(), topic=form.topic.data or "", offer=form.offer.data or "",
        level=form.level.data or ""))


@bp.post("/profile/questions")
@login_required
def add_question() -> ResponseReturnValue:
    """Add a question the member is working on now."""
    form = QuestionForm()
    return _save(form, "questions", _("Question added."), lambda: profiles.add_question(
        db(), current_member(), text=form.text.data or "", topic=form.topic.data or ""))


@bp.post("/profile/learning-goals")
@login_required
def add_learning_goal() -> ResponseReturnValue:
    """Add a topic the member wants to learn about."""
    form = LearningGoalForm()
    return _save(form, "learning-goals", _("Learning goal added."), lambda: profiles.add_learning_goal(
        db(), current_member(), topic=form.topic.data or "", note=form.note.data or ""))


@bp.post("/profile/boundaries")
@login_required
def add_boundary() -> ResponseReturnValue:
    """Add a topic the member cannot advise on."""
    form = BoundaryForm()
    return _save(form, "boundaries", _("Boundary added."), lambda: profiles.add_boundary(
        db(), current_member(), topic=form.topic.data or ""))


@bp.post("/profile/success-criteria")
@login_required
def add_success_criterion() -> ResponseReturnValue:
    """Add what would make this worthwhile, and by when."""
    form = SuccessCriterionForm()
    return _save(form, "success-criteria", _("Success criterion added."),
                 lambda: profiles.add_success_criterion(
                     db(), current_member(), text=form.text.data or "", target_date=form.target_date.data))


@bp.post("/profile/availability")
@login_required
def add_availability() -> ResponseReturnValue:
    """Add a weekly window, in the member's own time zone."""
    form = AvailabilityForm()
    return _save(form, "availability", _("Availability window added."),
                 lambda: profiles.add_availability(
                     db(), current_member(), weekday=form.weekday.data if form.weekday.data is not None else -1,
                     start=form.start.data or "", end=form.end.data or ""))


@bp.post("/profile/<kind>/<int:item_id>/delete")
@login_required
def remove_item(kind: str, item_id: int) -> ResponseReturnValue:
    """Remove one of the member's own profile items; anyone else's is not found."""
    if kind not in ANCHORS:
        abort(404)
    profiles.remove_item(db(), current_member(), kind, item_id)
    db().commit()
    anchor, label = ANCHORS[kind]
    flash(_('%(label)s removed.', label=label), "ok")
    return redirect(url_for("profile.edit", _anchor=anchor))


@bp.post("/profile/ties/<int:tie_id>/delete")
@login_required
def remove_tie(tie_id: int) -> ResponseReturnValue:
    """Withdraw a declared tie: one the member declared, or one declared about them."""
    ties.remove_declared_tie(db(), current_member(), tie_id)
    db().commit()
    flash(_("Removed from the people you already know well."), "ok")
    return redirect(url_for("profile.edit", _anchor="ties"))


@bp.get("/members/<int:user_id>")
@login_required
def member(user_id: int) -> ResponseReturnValue:
    """Another member's public profile, for people who share a community with them."""
    me = current_member()
    person = profiles.visible_member(db(), me, user_id)
    tie = ties.find_tie(db(), me.id, person.id) if person.id != me.id else None
    return render_template("profile/member.html", person=person, tie=tie, is_me=person.id == me.id)


@bp.post("/members/<int:user_id>/tie")
@login_required
def declare_tie(user_id: int) -> ResponseReturnValue:
    """Say "I already know them well", in a community both people share."""
    me = current_member()
    shared = ties.shared_communities(db(), me.id, user_id)
    if not shared or user_id == me.id:
        raise NotFound("member")
    person = profiles.visible_member(db(), me, user_id)
    known = ties.find_tie(db(), me.id, user_id) is not None
    ties.declare_tie(db(), me, shared[0], user_id)
    db().commit()
    flash(_('You already know %(display_name)s well.', display_name=person.display_name) if known
          else _("Noted: you already know %(display_name)s well. Circles will introduce you to people you don't know yet.", display_name=person.display_name), "ok")
    return redirect(url_for("profile.member", user_id=user_id))
