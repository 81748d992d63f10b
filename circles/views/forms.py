"""Shared form handling for every edge: validate, run the domain call, commit or explain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from circles.errors import Conflict, InvalidInput
from circles.extensions import db

T = TypeVar("T")


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
