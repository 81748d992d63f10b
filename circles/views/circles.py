"""Circle pages: strengths and questions side by side; facilitators form circles by hand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from circles.communities import circle, ending, renewal, rounds
from circles.communities import community as communities
from circles.errors import NotFound
from circles.extensions import current_member, db
from circles.models import Circle, Membership
from circles.views.forms import PlainForm, render_form, submit
from realtime import broadcast, revocation

bp = Blueprint("circles", __name__)


class CircleForm(PlainForm):
    name = StringField(_l("Name (optional)"), validators=[Length(max=120)],
                       description=_l("Leave empty to name the circle after its members."))
    # Choices are checked by the domain, which explains the problem in words.
    members = SelectMultipleField(_l("Members"), coerce=int, validate_choice=False,
                                  description=_l("Two members make a pair, three to eight a group."))


class RenameForm(PlainForm):
    # The length is checked by the domain, which says it in words.
    name = StringField(_l("New name"), description=_l("1 to 80 characters."))


class AddMemberForm(PlainForm):
    member = SelectField(_l("Add a member"), coerce=int, validate_choice=False)


class RemoveMemberForm(PlainForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Length(max=500)])


@bp.route("/communities/<int:community_id>/circles/new", methods=["GET", "POST"])
@login_required
def new(community_id: int) -> ResponseReturnValue:
    """A facilitator forms a circle by hand from the community's members."""
    community = communities.community_for_facilitator(db(), current_member(), community_id)
    form = CircleForm()
    created = submit(form, lambda: circle.create_circle(
        db(), community, current_member(), name=form.name.data or "",
        member_ids=list(form.members.data or []),
    ))
    if created is None:
        return render_form("circles/new.html", form, community=community,
                           roster=communities.roster(db(), community.id),
                           chosen=set(form.members.data or []))
    broadcast.placed_in_circle(created)
    flash(_('%(name)s is formed; its members have been told.', name=created.name), "ok")
    return redirect(url_for("circles.show", circle_id=created.id))


def _facilitates(circle_row: Circle) -> bool:
    membership = communities.membership_of(db(), current_user.id, circle_row.community_id)
    return membership is not None and membership.role == "facilitator"


@bp.app_template_global()
def circle_round(circle_row: Circle) -> str:
    """"Round 2" for a circle formation formed (the community's numbering), else ""."""
    number = rounds.circle_round(db(), circle_row)
    return f"Round {number}" if number is not None else ""


def _show(circle_row: Circle, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """Render the circle page; members also get the rename form, facilitators the add and
    remove forms."""
    facilitating = _facilitates(circle_row)
    rename_form = forms.pop("rename_form", None) or RenameForm(formdata=None)
    context: dict[str, Any] = {"circle": circle_row, "facilitating": facilitating,
                               "seats": circle_row.current_seats, "rename_form": rename_form,
                               **renewal_context(circle_row, forms.pop("renewal_errors", []))}
    if facilitating:
        seated = {seat.user_id for seat in circle_row.current_seats}
        candidates = [m for m in communities.roster(db(), circle_row.community_id)
                      if m.user_id not in seated]
        add_form = forms.pop("add_form", None) or AddMemberForm(formdata=None)
        add_form.member.choices = [SelectChoice(str(m.user_id), _label(m)) for m in candidates]
        context.update(add_form=add_form, remove_errors=forms.pop("remove_errors", {}))
    return render_template("circles/show.html", **context), status


show_circle = _show


def renewal_context(circle_row: Circle, errors: list[str]) -> dict[str, Any]:
    """The circle's cycle and, for a seated member, their own renew-or-remix choice."""
    return {"cycle": renewal.cycle_of(db(), circle_row),
            "my_renewal": renewal.my_choice(db(), circle_row, current_user.id),
            "renewal_errors": errors}


def _label(membership: Membership) -> str:
    user = membership.user
    place = " · ".join(part for part in (user.organisation, user.department) if part)
    return f"{user.display_name} ({place})" if place else user.display_name


@bp.get("/circles/<int:circle_id>")
@login_required
def show(circle_id: int) -> ResponseReturnValue:
    """A circle's members side by side: strengths, questions, goals and boundaries."""
    return _show(circle.circle_for_viewer(db(), current_member(), circle_id))


@bp.post("/circles/<int:circle_id>/name")
@login_required
def rename(circle_id: int) -> ResponseReturnValue:
    """A member renames their open circle; anyone else finds nothing."""
    circle_row = circle.circle_for_viewer(db(), current_member(), circle_id)
    if not ending.seated(circle_row, current_member()):
        raise NotFound("circle")
    form = RenameForm()
    renamed = submit(form, lambda: circle.rename_circle(db(), current_member(), circle_row,
                                                        form.name.data or ""))
    if renamed is None:
        return _show(circle_row, 409 if circle_row.closed_at else 422, rename_form=form)
    flash(_('The circle is now called %(name)s.', name=renamed.name), "ok")
    return redirect(url_for("circles.show", circle_id=circle_row.id))


def _facilitated_circle(circle_id: int) -> Circle:
    circle_row = circle.circle_for_viewer(db(), current_member(), circle_id)
    if not _facilitates(circle_row):
        raise NotFound("page")
    return circle_row


@bp.post("/circles/<int:circle_id>/members")
@login_required
def add_member(circle_id: int) -> ResponseReturnValue:
    """A facilitator adds a community member to the circle; history records the join."""
    circle_row = _facilitated_circle(circle_id)
    form = AddMemberForm()
    seat = submit(form, lambda: circle.add_to_circle(db(), circle_row, form.member.data or 0))
    if seat is None:
        if not form.errors and not form.form_errors:
            form.member.errors = [_("Choose a member to add.")]
        return _show(circle_row, 422, add_form=form)
    broadcast.placed_in_circle(circle_row, [seat.user_id])
    flash(_('%(display_name)s joined %(name)s.', display_name=seat.user.display_name, name=circle_row.name), "ok")
    return redirect(url_for("circles.show", circle_id=circle_row.id))


@bp.post("/circles/<int:circle_id>/members/<int:user_id>/remove")
@login_required
def remove_member(circle_id: int, user_id: int) -> ResponseReturnValue:
    """A facilitator takes a member out of the circle; history keeps when and why."""
    circle_row = _facilitated_circle(circle_id)
    form = RemoveMemberForm()
    seat = submit(form, lambda: ending.remove_from_circle(
        db(), circle_row, user_id, reason=form.reason.data or ""))
    if seat is None:
        return _show(circle_row, 422, remove_errors={user_id: [*form.reason.errors, *form.form_errors]})
    revocation.left_circle(db(), circle_row.id, user_id)
    flash(_('%(display_name)s left %(name)s.', display_name=seat.user.display_name, name=circle_row.name), "ok")
    return redirect(url_for("circles.show", circle_id=circle_row.id))
