"""Errors at the HTTP edge, translated once: a domain error, an expired form or an HTTP error
becomes a page (or JSON for a client that asks for it, and always under /api/)."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from circles.api import errors
from circles.errors import CirclesError, NotFound
from circles.extensions import db
from circles.security_log import security_event


def domain_error(exc: CirclesError) -> ResponseReturnValue:
    """A domain error: nothing of the request is kept; "not found" also covers "hidden"."""
    db().rollback()
    if isinstance(exc, NotFound):  # missing, or hidden from this caller: we cannot tell
        security_event("authz_fail")
    return error_page(exc.status, exc.message)


def csrf_error(exc: CSRFError) -> ResponseReturnValue:
    """A form that expired or came from elsewhere."""
    security_event("input_validation_fail", field="csrf_token", reason=exc.description)
    return error_page(400, f"The form had expired or was not sent from this site "
                           f"({exc.description}). Reload the page and try again.")


def http_error(exc: HTTPException) -> ResponseReturnValue:
    """Any other HTTP error; a URL no API route could parse still answers JSON."""
    if request.path.startswith("/api/"):
        return errors.http_error(exc)
    return error_page(exc.code or 500, exc.description or exc.name)


def error_page(status: int, message: str) -> ResponseReturnValue:
    if request.accept_mimetypes.best == "application/json":
        return {"ok": False, "error": message}, status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    app.register_error_handler(CirclesError, domain_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
