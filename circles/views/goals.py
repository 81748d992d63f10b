"""Between sessions: my goals and check-ins, my commitments, my growth journal, circle goals."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from circles.errors import NotFound
from circles.extensions import current_member, db
from circles.growth import commitments, goals, journal
from circles.models import Circle, User
from circles.sessions import scheduling
from circles.views.forms import render_form, submit
from circles.views.goal_forms import CheckinForm, CircleGoalForm, CommitmentForm, GoalsPage

bp = Blueprint("goals", __name__)



@bp.app_template_global()
def circle_goals(circle: Circle, viewer: User) -> goals.CirclePanel | None:
    """The goals section of the circle page (templates/goals/_circle_panel.html)."""
    return goals.circle_panel(db(), circle, viewer)


def _goals_page(failed: CheckinForm | None = None) -> ResponseReturnValue:
    page = GoalsPage.of(db(), current_member(), failed)
    if failed is None:
        return render_template("goals/index.html", page=page)
    return render_form("goals/index.html", failed, page=page)


@bp.get("/goals")
@login_required
def index() -> ResponseReturnValue:
    """My success criteria and my circles' goals, each with a check-in form and a chart."""
    return _goals_page()


@bp.post("/goals/<kind>/<int:goal_id>/checkin")
@login_required
def checkin(kind: str, goal_id: int) -> ResponseReturnValue:
    """Record a progress check-in (a rating and a line) on one goal."""
    if kind not in ("criterion", "circle"):
        raise NotFound("goal")
    form = CheckinForm(prefix=f"{kind}-{goal_id}")
    done = submit(form, lambda: goals.check_in(
        db(), current_member(), kind=kind, goal_id=goal_id, rating=form.rating.data or "",
        line=form.line.data or "", private=bool(form.private.data)))
    if done is None:
        return _goals_page(form)
    flash(_("Check-in recorded."), "ok")
    return redirect(url_for("goals.index", _anchor=f"{kind}-{goal_id}"))


@bp.post("/goals/criterion/<int:criterion_id>/share")
@login_required
def share(criterion_id: int) -> ResponseReturnValue:
    """Share a success criterion with my circles, or make it private again."""
    criterion = goals.own_criterion(db(), current_member(), criterion_id)
    goals.share_criterion(db(), current_member(), criterion.id, not criterion.shared)
    db().commit()
    flash(_("Shared with your circles.") if criterion.shared else _("Now private: only you see it."),
          "ok")
    return redirect(url_for("goals.index", _anchor=f"criterion-{criterion_id}"))


@bp.route("/circles/<int:circle_id>/goals/new", methods=["GET", "POST"])
@login_required
def new_circle_goal(circle_id: int) -> ResponseReturnValue:
    """A member sets a goal for the whole circle, with a target date."""
    circle = scheduling.member_circle(db(), current_member(), circle_id)
    form = CircleGoalForm()
    made = submit(form, lambda: goals.add_circle_goal(
        db(), current_member(), circle, text=form.text.data or "", target_date=form.target_date.data))
    if made is None:
        return render_form("goals/new_circle_goal.html", form, circle=circle)
    flash(_("Goal added for the circle."), "ok")
    return redirect(url_for("circles.show", circle_id=circle.id, _anchor="goals"))


@bp.post("/goals/circle/<int:goal_id>/close")
@login_required
def close_goal(goal_id: int) -> ResponseReturnValue:
    """Any member of the circle marks a circle goal as done with."""
    goal = goals.circle_goal_for_member(db(), current_member(), goal_id)
    goals.close_circle_goal(db(), current_member(), goal)
    db().commit()
    flash(_("Goal closed; its check-ins stay."), "ok")
    return redirect(url_for("circles.show", circle_id=goal.circle_id, _anchor="goals"))


def _commitments_page(failed: CommitmentForm | None = None,
                      failed_id: int | None = None) -> ResponseReturnValue:
    board = commitments.my_commitments(db(), current_member(), date.today())
    context = {"board": board, "failed": failed, "failed_id": failed_id,
               "form_for": CommitmentForm.of, "words": commitments.STATUS_WORDS}
    if failed is None:
        return render_template("goals/commitments.html", **context)
    return render_form("goals/commitments.html", failed, **context)


@bp.get("/commitments")
@login_required
def my_commitments() -> ResponseReturnValue:
    """All my commitments across circles: overdue, due soon, open and done."""
    return _commitments_page()


@bp.post("/commitments/<int:commitment_id>")
@login_required
def update_commitment(commitment_id: int) -> ResponseReturnValue:
    """The owner updates a commitment's status, reflection or due date."""
    commitments.own_commitment(db(), current_member(), commitment_id)
    form = CommitmentForm(prefix=f"c{commitment_id}")
    done = submit(form, lambda: commitments.update_commitment(
        db(), current_member(), commitment_id, status=form.status.data or "",
        reflection=form.reflection.data or "", due_on=form.due_on.data, today=date.today()))
    if done is None:
        return _commitments_page(form, commitment_id)
    flash(_('Commitment marked %(status)s.', status=commitments.STATUS_WORDS[done.status]), "ok")
    return redirect(url_for("goals.my_commitments", _anchor=f"commitment-{commitment_id}"))


@bp.get("/journal")
@login_required
def growth_journal() -> ResponseReturnValue:
    """My growth journal: feedback received, commitments kept, goal progress (mine only)."""
    return render_template("goals/journal.html", book=journal.journal(db(), current_member()))
