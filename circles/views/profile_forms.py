"""The profile page's section forms: one small form per section, each with its own prefix
so every field id on the page is unique (``strength-topic``, ``question-text``, …)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from circles.languages import LANGUAGES
from circles.models import User
from circles.models.profiles import LEVELS
from circles.views.forms import PlainForm, ZoneField

#: The days of profiles.WEEKDAYS as the reader says them.
DAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
             _l("Saturday"), _l("Sunday"))


LEVEL_NAMES = {"emerging": _l("Emerging"), "practised": _l("Practised"), "expert": _l("Expert")}


class SectionForm(PlainForm):
    """Many forms share one page, so the CSRF token is the page-wide ``csrf_token`` input,
    checked for every POST by ``CSRFProtect``; a per-form copy would carry the prefix."""

    class Meta:
        csrf = False


class AboutForm(SectionForm):
    display_name = StringField(_l("Your name"))
    timezone = ZoneField(_l("Time zone"))
    language = SelectField(
        _l("Language"), validate_choice=False,
        description=_l("Pages and e-mails are written in it. Automatic: your community's "
                       "language, else your browser's."))
    organisation = StringField(_l("Organisation"))
    department = StringField(_l("Department or team"))
    bio = TextAreaField(_l("A short bio"), description=_l("A few lines your circle-mates will read."))
    background_consent = BooleanField(
        _l("Use the background I describe below to make circles more diverse")
    )
    career_path = StringField(
        _l("Career path (e.g. career changer, first in family at university)"))
    cultural_background = StringField(_l("Cultural background"))
    gender = StringField(_l("Gender"))
    age_band = StringField(_l("Age band"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="about", **kwargs)
        self.language.choices = [SelectChoice("", _l("Automatic"))] + [
            SelectChoice(code, name) for code, name in LANGUAGES.items()]

    @classmethod
    def of(cls, user: User) -> AboutForm:
        data = {
            "display_name": user.display_name, "timezone": user.timezone, "language": user.language,
            "organisation": user.organisation, "department": user.department, "bio": user.bio,
            "background_consent": user.background_consent, **(user.background or {}),
        }
        return cls(formdata=None, data=data)


class StrengthForm(SectionForm):
    topic = StringField(_l("Topic"))
    offer = TextAreaField(_l("What I can offer"), description=_l("E.g. review a plan, share a story."))
    level = SelectField(_l("Experience"), choices=[SelectChoice(level, LEVEL_NAMES[level]) for level in LEVELS],
                        default="practised", validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="strength", **kwargs)


class QuestionForm(SectionForm):
    text = TextAreaField(_l("What I am working on"))
    topic = StringField(_l("Topic (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="question", **kwargs)


class LearningGoalForm(SectionForm):
    topic = StringField(_l("Topic"))
    note = StringField(_l("Note (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="learning-goal", **kwargs)


class BoundaryForm(SectionForm):
    topic = StringField(_l("Topic I can't advise on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="boundary", **kwargs)


class SuccessCriterionForm(SectionForm):
    text = TextAreaField(_l("What would make this worthwhile"))
    # Optional() lets an empty date reach the domain, which explains what it needs.
    target_date = DateField(_l("By when"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="success", **kwargs)


class AvailabilityForm(SectionForm):
    weekday = SelectField(_l("Day"), choices=[SelectChoice(str(i), day) for i, day in enumerate(DAY_NAMES)], coerce=int,
                          validate_choice=False)
    start = StringField(_l("From"), description=_l("HH:MM, e.g. 09:30"), default="09:00")
    end = StringField(_l("Until"), description=_l("HH:MM, e.g. 11:00"), default="10:00")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="availability", **kwargs)


#: The page's sections in order: form name in the template → blank form for a GET.
SECTION_FORMS: dict[str, type[SectionForm]] = {
    "strength_form": StrengthForm,
    "question_form": QuestionForm,
    "learning_goal_form": LearningGoalForm,
    "boundary_form": BoundaryForm,
    "success_form": SuccessCriterionForm,
    "availability_form": AvailabilityForm,
}
