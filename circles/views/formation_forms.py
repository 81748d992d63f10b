"""Forms of the facilitator's "Form circles" pages: the run's settings and the hand
adjustments on its preview (move a member, lock or unlock a pair, prepare or publish a round)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import NumberInput

from circles.communities.circle import GROUP_MAX
from circles.formation.start import MAX_ROUNDS
from circles.views.forms import PlainForm

FORMATS = [
    SelectChoice("pairs", _l("Pairs")),
    SelectChoice("exact", _l("Groups of exactly k")),
    SelectChoice("range", _l("Groups with a range of sizes")),
]
#: Weight fields, in the order they are shown, with what each one rewards.
WEIGHTS = {
    "new_tie": (_l("New ties"), _l("People who have never met, far apart in the tie network.")),
    "coverage": (_l("Questions answered"),
                 (_l("Each member's questions and learning goals answered by someone in their "
                  "circle (the top question counts most; a second answer adds little)."))),
    "complementarity": (_l("Complementarity"),
                        _l("One member's strengths answer another's questions, both ways.")),
    "diversity": (_l("Diversity"),
                  _l("Different organisations, departments and (with consent) backgrounds.")),
    "equity": (_l("Equity"), _l("Members with the smallest networks get the strongest new ties first.")),
    "repeat_penalty": (_l("Known pairs"), (_l("How strongly to keep apart people who already know "
                                       "each other (a tie, or an earlier circle)."))),
}

MAX_TIME_LIMIT = 120.0  # a test or an expert may cap the search; empty: it grows with the cohort
SIZE_FIELDS = ("size", "min_size", "max_size")
SIZE_LIMITS = {"min": 2, "max": GROUP_MAX}  # a hint to the browser; the domain decides


def _weight(name: str) -> FloatField:
    label, description = WEIGHTS[name]
    return FloatField(label, description=description, widget=NumberInput(step="any", min=0),
                      validators=[
                          InputRequired(message=_l("Give a weight (0 turns this off).")),
                          NumberRange(min=0, max=100, message=_l("Use a weight between 0 and 100.")),
                      ])


class FormationForm(PlainForm):
    """What to form: the format and sizes, how many rounds, and what to optimise for."""

    format = RadioField(_l("Format"), choices=FORMATS, default="range")
    size = IntegerField(_l("Group size"), default=4, validators=[Optional()], render_kw=SIZE_LIMITS,
                        description=_l("Every group has exactly this many members."))
    min_size = IntegerField(_l("Smallest group"), default=4, validators=[Optional()],
                            render_kw=SIZE_LIMITS)
    max_size = IntegerField(_l("Largest group"), default=6, validators=[Optional()],
                            render_kw=SIZE_LIMITS,
                            description=_l("Groups get sizes between these two."))
    rounds = IntegerField(_l("Rounds"), default=1, description=(
        _l('Plan up to %(MAX_ROUNDS)s rounds at once so nobody meets the same people twice.', MAX_ROUNDS=MAX_ROUNDS)),
        validators=[InputRequired(message=_l("Say how many rounds to plan.")),
                    NumberRange(min=1, max=MAX_ROUNDS,
                                message=_l('Plan between 1 and %(MAX_ROUNDS)s rounds.', MAX_ROUNDS=MAX_ROUNDS))])
    new_tie = _weight("new_tie")
    coverage = _weight("coverage")
    complementarity = _weight("complementarity")
    diversity = _weight("diversity")
    equity = _weight("equity")
    repeat_penalty = _weight("repeat_penalty")
    allow_repeats = BooleanField(
        _l("Let people who already met meet again, where no plan avoids it"),
        description=_l("Off: nobody meets someone they already shared a circle with; a round "
                    "that cannot keep this to everyone is refused before solving, and any "
                    "pair that still meets again needs your agreement before publishing."))
    seed = IntegerField(_l("Seed"), validators=[Optional(), NumberRange(
        min=0, max=2**31 - 1, message=_l("Give a whole number from 0 to 2147483647."))],
        description=_l("The same members, settings and seed give the same plan; another seed "
                    "gives another plan that is just as good. Empty: 1."))
    time_limit = HiddenField(default="")

    @classmethod
    def prefilled(cls, weights: Mapping[str, float]) -> FormationForm:
        """A fresh form showing the community's current weights."""
        return cls(data={name: weights.get(name) for name in WEIGHTS})

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Field rules, then the sizes the chosen format needs (each next to its field)."""
        valid = super().validate(extra_validators)
        fmt = self.format.data
        if fmt == "exact" and self.size.data is None and not self.size.errors:
            self.size.errors.append(_("Say how many members each group has."))
        if fmt == "range":
            for field in (self.min_size, self.max_size):
                if field.data is None and not field.errors:
                    field.errors.append(_("Give a size."))
        if self.time_limit_seconds() == 0.0:
            self.form_errors.append(_(
                "The time limit must be a number of seconds up to %(most)s. Reload the page "
                "and try again.", most=format(MAX_TIME_LIMIT, "g")))
        return valid and not self.errors and not self.form_errors

    def sizes(self) -> tuple[int, int]:
        """``(min_size, max_size)`` the chosen format asks for."""
        if self.format.data == "pairs":
            return 2, 2
        if self.format.data == "exact":
            return self.size.data or 0, self.size.data or 0
        return self.min_size.data or 0, self.max_size.data or 0

    def weights(self) -> dict[str, float]:
        return {name: float(self[name].data or 0.0) for name in WEIGHTS}

    def time_limit_seconds(self) -> float | None:
        """The hidden time cap in seconds (None: the default cap for the cohort's size), or
        0 when it is not a sensible number."""
        if not self.time_limit.data:
            return None
        try:
            seconds = float(self.time_limit.data)
        except ValueError:
            return 0.0
        return seconds if 0 < seconds <= MAX_TIME_LIMIT else 0.0

    def size_field_for(self, domain_field: str) -> str:
        """The form field that shows a size problem the domain reported as ``domain_field``."""
        if self.format.data == "exact" and domain_field in SIZE_FIELDS:
            return "size"
        if self.format.data == "pairs" and domain_field in SIZE_FIELDS:
            return "format"
        return domain_field


class AdjustForm(PlainForm):
    """Adjustments share one page with many controls, so the page-wide token is used."""

    class Meta:
        csrf = False


class MoveForm(AdjustForm):
    user_id = IntegerField(validators=[InputRequired()])
    round_no = IntegerField(validators=[InputRequired()])
    to_circle = IntegerField(_l("Move to"), validators=[InputRequired(message=_l("Choose a circle."))])


class PairForm(AdjustForm):
    a = IntegerField(_l("First member"), validators=[InputRequired(message=_l("Choose a member."))])
    b = IntegerField(_l("Second member"), validators=[InputRequired(message=_l("Choose a member."))])


class RoundForm(AdjustForm):
    """Prepare or publish a round: the round the page showed, so a round published meanwhile
    (a double click, another facilitator) is refused rather than followed by the next one."""

    round_no = IntegerField(validators=[Optional()])
