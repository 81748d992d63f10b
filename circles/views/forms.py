"""Shared form handling for every edge: validate, run the domain call, commit or explain.

Every form of the app is a ``PlainForm``: each problem is a sentence naming the thing
("Fill in your name.", "Give “Length (minutes)” as a whole number."), never WTForms' own
"This field is required." or "Not a valid integer value.". Checks the domain owns (an
e-mail's syntax, a password's length) run as field validators too (``checked``), so a form
shows every problem at once instead of one layer's after the other's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, SelectField, StringField
from wtforms.fields.choices import Choice
from wtforms.validators import ValidationError
from wtforms.widgets import Select

from circles.errors import Conflict, InvalidInput
from circles.extensions import db
from circles.members.profiles import all_timezones

T = TypeVar("T")

#: WTForms' own messages (English), and the plain sentence each becomes, given the field.
DEFAULTS: list[tuple[re.Pattern[str], Callable[[str, re.Match[str]], str]]] = [
    (re.compile(r"This field is required\.$"), lambda what, m: _("Fill in %(what)s.", what=what)),
    (re.compile(r"Not a valid (integer|float|decimal) value\.$"),
     lambda what, m: _("Give %(what)s as a number, e.g. 4.", what=what)),
    (re.compile(r"Not a valid date value\.$"),
     lambda what, m: _("Give %(what)s as a date, e.g. 2030-03-27.", what=what)),
    (re.compile(r"Not a valid (datetime|time) value\.$"),
     lambda what, m: _("Give %(what)s as a date and time, e.g. 2030-03-27 18:30.", what=what)),
    (re.compile(r"Not a valid choice\.?$|Invalid Choice.*"),
     lambda what, m: _("Choose one of the options for %(what)s.", what=what)),
    (re.compile(r"Field must be between (\d+) and (\d+) characters long\.$"),
     lambda what, m: _("Keep %(what)s between %(n1)s and %(n2)s characters.", what=what, n1=m[1], n2=m[2])),
    (re.compile(r"Field must be at least (\d+) characters? long\.$"),
     lambda what, m: _("Use at least %(n1)s characters for %(what)s.", what=what, n1=m[1])),
    (re.compile(r"Field cannot be longer than (\d+) characters?\.$"),
     lambda what, m: _("Keep %(what)s under %(n1)s characters.", what=what, n1=m[1])),
    (re.compile(r"Number must be .*$"), lambda what, m: _("Give %(what)s within the range shown.", what=what)),
    (re.compile(r"Invalid email address\.$"),
     lambda what, m: _("Give %(what)s as an address like ana@example.org.", what=what)),
    (re.compile(r"Invalid input\.$"), lambda what, m: _("Check %(what)s.", what=what)),
]


def _what(field: Field) -> str:
    """The field as a sentence names it: "your name", "“Length (minutes)”"."""
    label = str(field.label.text or field.name).strip().rstrip(":")
    if label.lower().startswith(("your ", "my ")):  # an English label
        return "your " + label.split(" ", 1)[1]
    return str(_("“%(label)s”", label=label))


def plain(field: Field, message: str) -> str:
    """``message`` as a sentence naming ``field`` when it is one of WTForms' defaults."""
    for pattern, sentence in DEFAULTS:
        match = pattern.match(str(message))
        if match:
            return sentence(_what(field), match)
    return str(message)


class PlainForm(FlaskForm):
    """A form whose every error is a plain sentence naming its field."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        for field in self:
            field.errors = [plain(field, e) for e in field.errors]
        return valid


def checked(check: Callable[[str], object]) -> Callable[[Any, Field], None]:
    """A field validator that asks the domain's own check (which raises ``InvalidInput``), so
    its words appear beside the field together with every other problem of the form."""
    def validate(form: Any, field: Field) -> None:
        try:
            check(field.data or "")
        except InvalidInput as exc:
            raise ValidationError(next(iter(exc.errors.values()))) from exc
    validate.field_flags = {"required": True}  # type: ignore[attr-defined]  # the input says so
    return validate


class WholeNumberField(StringField):
    """A whole number typed as text: ``data`` is the int, or None when empty or not a
    number, and WTForms adds no error of its own — the domain says what it needs (with the
    form's other problems, all at once)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:  # not sent at all: the default stands, as for WTForms' own fields
            return
        text = str(valuelist[0]).strip()
        try:
            self.data = int(text) if text else None
        except ValueError:
            self.data = None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


class ZoneSelect(Select):
    """WTForms' ``Select``, with the same HTML, for the ~600 time zones: each option but the
    chosen one is rendered once per process instead of on every page (WTForms built and
    escaped each one for every form shown: tens of milliseconds a page)."""

    @classmethod
    def render_option(cls, choice: Choice, **kwargs: Any) -> Markup:
        if choice.selected or choice.render_kw or kwargs:
            rendered: Markup = super().render_option(choice, **kwargs)
            return rendered
        return _zone_option(choice.value, choice.label)


@functools.cache
def _zone_option(value: str, label: str) -> Markup:
    rendered: Markup = Select.render_option(Choice(value, label, False, {}))
    return rendered


class ZoneField(SelectField):
    """A time zone, chosen from every zone we know (``all_timezones``); an unknown one is
    the domain's to explain (``check_timezone``), with the form's other problems."""

    widget = ZoneSelect()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.choices = all_timezones()


def submit(form: FlaskForm, operation: Callable[[], T]) -> T | None:
    """Run ``operation`` if the form is valid and commit; otherwise roll back so nothing
    partial is saved, and put each problem next to its field. None means "show the form"."""
    if not form.validate_on_submit():
        return None
    try:
        result = operation()
        db().commit()
    except InvalidInput as exc:
        db().rollback()
        for name, problem in exc.errors.items():
            field = form._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, problem]
            else:
                form.form_errors.append(problem)
        return None
    except Conflict as exc:
        db().rollback()
        form.form_errors.append(exc.message)
        return None
    return result


def render_form(template: str, form: FlaskForm, **context: Any) -> ResponseReturnValue:
    """Render a page holding ``form``; 422 when it carries errors, so clients can tell."""
    status = 422 if form.errors or form.form_errors else 200
    return render_template(template, form=form, **context), status
