"""The API's one error shape, ``{"error": {"message", "field"}}``, and its translation.

Every error under /api is JSON: a domain error keeps its meaning (``NotFound`` → 404,
``InvalidInput`` → 400 naming its first field), bad query parameters are 400 with the
parameter named first, a missing or dead token is 401 with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import marshmallow as ma
from flask import Blueprint, Request, Response, g, jsonify
from marshmallow.constants import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException

from circles.api import bodies
from circles.errors import CirclesError, InvalidInput, NotFound
from circles.extensions import db
from circles.security_log import security_event

REALM = 'Bearer realm="circles"'


class ApiError(Exception):
    """An error answered as JSON with ``status``; ``field`` names the input at fault."""

    def __init__(self, status: int, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.headers = headers or {}


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": REALM})


class ErrorBodySchema(ma.Schema):
    message = ma.fields.String(required=True)
    field = ma.fields.String(required=True, allow_none=True,
                             metadata={"description": "The parameter or field at fault."})


class ErrorSchema(ma.Schema):
    """What every 4xx answer carries."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


class ApiParser(FlaskParser):
    """Query parameters that fail validation become a 400 naming the first bad one; a JSON
    body is read by ``circles.api.bodies`` (a crafted one is a 400 saying why)."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Request, schema: ma.Schema) -> Any:
        if not is_json_request(req) or not req.get_data(cache=True):
            return missing
        try:
            return bodies.load_json(req.get_data(cache=True))
        except bodies.BadJson as exc:
            raise ApiError(400, f"body: {exc}", field="body") from None

    def handle_error(self, error: ma.ValidationError, req: Any, schema: ma.Schema, *,
                     error_status_code: int | None, error_headers: Mapping[str, str] | None
                     ) -> NoReturn:
        messages: dict[str, Any] = error.messages if isinstance(error.messages, dict) else {}
        # webargs nests messages by location: {"query": {"limit": ["..."]}}
        by_field = next(iter(messages.values())) if messages else {}
        if not isinstance(by_field, dict) or not by_field:
            raise ApiError(400, "The request was not understood.")
        field, problems = next(iter(by_field.items()))
        if field == ma.exceptions.SCHEMA:  # the body as a whole: not a JSON object
            raise ApiError(400, "body: Send a JSON object.", field="body")
        problem = problems[0] if isinstance(problems, list) and problems else str(problems)
        raise ApiError(400, f"{field}: {problem}", field=str(field))


def _body(status: int, message: str, field: str | None = None,
          headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error": {"message": message, "field": field}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def api_error(exc: ApiError) -> Response:
    return _body(exc.status, exc.message, exc.field, exc.headers)


def domain_error(exc: CirclesError) -> Response:
    db().rollback()
    if isinstance(exc, NotFound):
        _log_not_found()
    if isinstance(exc, InvalidInput):
        field, problem = next(iter(exc.errors.items()))
        return _body(400, f"{field}: {problem}", field)
    return _body(exc.status, exc.message)


def http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    allowed = getattr(exc, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if allowed else {}
    return _body(status, exc.description or exc.name, headers=headers)


def _log_not_found() -> None:
    """A domain 404 may hide something the caller may not see: log it as ``authz_fail``."""
    user = getattr(g, "api_user", None)
    security_event("authz_fail", user=user.id if user is not None else "anonymous")


def register(bp: Blueprint) -> None:
    """Translate every error raised under ``bp`` into the API's JSON shape."""
    bp.register_error_handler(ApiError, api_error)
    bp.register_error_handler(CirclesError, domain_error)
    bp.register_error_handler(HTTPException, http_error)
    # Code-specific app handlers would outrank a class handler here; name the usual codes.
    for code in (400, 401, 404, 405, 413, 415, 429, 500):
        bp.register_error_handler(code, http_error)
