"""Forms for check-ins, circle goals and commitments, and what the goals page shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from circles.growth import goals
from circles.growth.commitments import STATUS_WORDS
from circles.models import Circle, CircleGoal, Commitment, GoalCheckin, SuccessCriterion, User
from circles.views.forms import PlainForm

RATING_CHOICES = [SelectChoice("", _l("Choose…"))] + [
    SelectChoice(str(n), _l('%(n)s — %(word)s', n=n, word=word)) for n, word in goals.RATING_WORDS.items()]


class CheckinForm(PlainForm):
    # Checked by the domain, which explains a missing or bad rating in words.
    rating = SelectField(_l("How is it going?"), choices=RATING_CHOICES, validate_choice=False)
    line = StringField(_l("One line on progress (optional)"), description=_l("Up to 300 characters."))
    private = BooleanField(_l("Keep this check-in to myself"))


class CircleGoalForm(PlainForm):
    text = TextAreaField(_l("What the circle wants to reach"), description=_l("Up to 300 characters."))
    target_date = DateField(_l("By when"), validators=[Optional()])


class CommitmentForm(PlainForm):
    status = SelectField(_l("Status"), validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in STATUS_WORDS.items()])
    reflection = TextAreaField(_l("Reflection"), description=_l("How did it go? Up to 500 characters."))
    due_on = DateField(_l("Due on"), validators=[Optional()])

    @classmethod
    def of(cls, item: Commitment) -> CommitmentForm:
        return cls(formdata=None, prefix=f"c{item.id}",
                   data={"status": item.status, "reflection": item.reflection,
                         "due_on": item.due_on})


@dataclass
class GoalRow:
    """One goal on the goals page: its check-ins (the chart) and a check-in form."""

    anchor: str
    kind: str
    goal_id: int
    form: CheckinForm
    checkins: list[GoalCheckin]
    criterion: SuccessCriterion | None = None
    goal: CircleGoal | None = None
    circle: Circle | None = None

    @property
    def points(self) -> list[tuple[float, float, GoalCheckin]]:
        return goals.chart_points(self.checkins)

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y, _ in self.points)


@dataclass
class GoalsPage:
    criteria: list[GoalRow] = field(default_factory=list)
    circle_goals: list[GoalRow] = field(default_factory=list)
    # Problems of a check-in whose goal is no longer listed (its circle or goal closed).
    stray_errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, db: Session, user: User, failed: CheckinForm | None) -> GoalsPage:
        def form(anchor: str) -> CheckinForm:
            if failed is not None and failed.rating.name == f"{anchor}-rating":
                return failed
            return CheckinForm(formdata=None, prefix=anchor)

        page = cls()
        for c in user.success_criteria:
            anchor = f"criterion-{c.id}"
            page.criteria.append(GoalRow(anchor, "criterion", c.id, form(anchor),
                                         goals.criterion_series(db, c), criterion=c))
        for g in goals.open_circle_goals(db, user):
            anchor = f"circle-{g.id}"
            page.circle_goals.append(GoalRow(anchor, "circle", g.id, form(anchor),
                                             goals.goal_series(db, g), goal=g,
                                             circle=db.get_one(Circle, g.circle_id)))
        rows = page.criteria + page.circle_goals
        if failed is not None and all(row.form is not failed for row in rows):
            page.stray_errors = [*failed.form_errors,
                                 *(e for f in failed for e in f.errors)]
        return page
