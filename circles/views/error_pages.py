"""Errors at the HTTP edge, translated once: a domain error, an expired form or an HTTP error
becomes a page (or JSON for a client that asks for it, and always under /api/)."""

from __future__ import annotations

from flask import Flask, Response, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadHost, HTTPException

from circles.api import errors
from circles.errors import CircleClosed, CirclesError, NotFound, SessionCancelled
from circles.extensions import db
from circles.models import Circle, CircleSession
from circles.security_log import security_event

BAD_HOST = (_l("The host name in the address is not valid (each part of it may have at most 63 "
            "characters). Check the address and try again."))


def domain_error(exc: CirclesError) -> ResponseReturnValue:
    """A domain error: nothing of the request is kept; "not found" also covers "hidden"."""
    db().rollback()
    if isinstance(exc, NotFound):  # missing, or hidden from this caller: we cannot tell
        security_event("authz_fail")
    if isinstance(exc, CircleClosed | SessionCancelled):
        return called_off_page(exc)
    return error_page(exc.status, exc.message)


def called_off_page(exc: CircleClosed | SessionCancelled) -> ResponseReturnValue:
    """A member asked for a closed circle's planning or a called-off session's room: a page
    that says why in a sentence, with the date in their own zone (JSON: the message)."""
    circle = db().get(Circle, exc.circle_id)
    if circle is None or request.accept_mimetypes.best == "application/json":
        return error_page(exc.status, exc.message)
    session = db().get(CircleSession, exc.session_id) if exc.session_id else None
    return render_template("sessions/called_off.html", circle=circle, session=session,
                           cancelled=isinstance(exc, SessionCancelled)), exc.status


def csrf_error(exc: CSRFError) -> ResponseReturnValue:
    """A form that expired or came from elsewhere."""
    security_event("input_validation_fail", field="csrf_token", reason=exc.description)
    return error_page(400, _('The form had expired or was not sent from this site (%(description)s). Reload the page and try again.', description=exc.description))


def http_error(exc: HTTPException) -> ResponseReturnValue:
    """Any other HTTP error; a URL no API route could parse still answers JSON."""
    if isinstance(exc, BadHost):  # werkzeug's text says only "could not understand"
        exc = BadHost(BAD_HOST)
    if request.path.startswith("/api/"):
        return errors.http_error(exc)
    return error_page(exc.code or 500, exc.description or exc.name)


def error_page(status: int, message: str) -> ResponseReturnValue:
    if request.accept_mimetypes.best == "application/json":
        return {"ok": False, "error": message}, status
    if request_ctx.url_adapter is None:
        # The Host could not be bound to the URL map (a 64-character label, say): no page
        # can link to anything, so the answer is plain text, not a page that fails to build.
        return Response(f"{message}\n", status, mimetype="text/plain")
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    app.register_error_handler(CirclesError, domain_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
