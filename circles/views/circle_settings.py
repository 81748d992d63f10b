"""A circle's settings page: which phases its live sessions run, and in what order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import Field
from wtforms.utils import unset_value

from circles.extensions import current_member, db
from circles.live import phases as live
from circles.models import Circle
from circles.models.live import PHASE_KINDS
from circles.sessions import scheduling
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("circle_settings", __name__)

PHASE_NAMES = {
    "checkin": _l("Check-in"), "review": _l("Commitment review"), "agenda": _l("Agenda"),
    "focus": _l("Focus rounds"), "feedback": _l("Feedback"), "commitments": _l("Commitments"),
    "close": _l("Close"),
}
PHASE_HINTS = {
    "checkin": _l("One short turn each."),
    "review": _l("Last session's commitments: kept, partly, missed or dropped."),
    "agenda": _l("Built together from everyone's questions."),
    "focus": _l("One round per agenda item; needs the agenda before it."),
    "feedback": _l("A strength and a suggestion for every other member."),
    "commitments": _l("What each member will do, and by when."),
    "close": _l("Appreciation and the summary; always last."),
}


@dataclass
class PhaseRow:
    """One phase as the form shows it: kept or skipped, and its place as typed."""

    kind: str
    kept: bool
    place: str

    @property
    def name(self) -> str:
        return str(PHASE_NAMES[self.kind])

    @property
    def hint(self) -> str:
        return str(PHASE_HINTS[self.kind])

    def number(self) -> int | None:
        return int(self.place) if self.place.isdigit() else None


class PhaseOrderField(Field):
    """Every phase as a row of two inputs, ``<name>-<kind>`` (a checkbox: keep it) and
    ``<name>-<kind>-place`` (its number); ``data`` is the kept kinds in order."""

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors: list[str] = []
        kinds = list(PHASE_KINDS) if data is unset_value or data is None else list(data)
        self.data = kinds
        if formdata is None:
            skipped = [k for k in PHASE_KINDS if k not in kinds]
            self.rows = ([PhaseRow(k, True, str(n)) for n, k in enumerate(kinds, start=1)]
                         + [PhaseRow(k, False, "") for k in skipped])
            return
        rows = [PhaseRow(k, f"{self.name}-{k}" in formdata,
                         str(formdata.get(f"{self.name}-{k}-place", "")).strip())
                for k in PHASE_KINDS]
        # Shown back in the order asked for, skipped phases last, so a typo is easy to find.
        self.rows = sorted(rows, key=lambda r: (not r.kept, r.number() or len(PHASE_KINDS) + 1))

    def pre_validate(self, form: Any) -> None:
        kept = [row for row in self.rows if row.kept]
        problems = [_('Give %(name)s a place from 1 to %(PHASE_KINDS)s.', name=row.name, PHASE_KINDS=len(PHASE_KINDS))
                    for row in kept if not 1 <= (row.number() or 0) <= len(PHASE_KINDS)]
        places: dict[int, str] = {}
        for row in kept:
            place = row.number()
            if place is not None and place in places:
                problems.append(_('%(place)s and %(name)s both have place %(place2)s; give each phase its own place.', place=places[place], name=row.name, place2=place))
            elif place is not None:
                places[place] = row.name
        self.errors.extend(problems)
        if not problems:
            self.data = [row.kind for row in sorted(kept, key=lambda r: r.number() or 0)]


class PhaseOrderForm(PlainForm):
    phases = PhaseOrderField(_l("Phases"))



@bp.app_template_global()
def circle_phase_names(circle: Circle) -> list[str]:
    """The circle's phases in order, by name, for its page."""
    return [PHASE_NAMES[kind] for kind in live.phase_order(db(), circle.id)]


@bp.route("/circles/<int:circle_id>/phases", methods=["GET", "POST"])
@login_required
def phases(circle_id: int) -> ResponseReturnValue:
    """A member skips or reorders the phases that the circle's next sessions run."""
    circle = scheduling.member_circle(db(), current_member(), circle_id)
    form = PhaseOrderForm(data={"phases": live.phase_order(db(), circle.id)})
    saved = submit(form, lambda: live.set_phase_order(db(), current_member(), circle.id, form.phases.data))
    if saved is None:
        return render_form("circle_settings/phases.html", form, circle=circle)
    order = " → ".join(str(PHASE_NAMES[kind]) for kind in saved)
    flash(_("From the next session on: %(saved)s.", saved=order), "ok")
    return redirect(url_for("circles.show", circle_id=circle.id, _anchor="sessions"))
