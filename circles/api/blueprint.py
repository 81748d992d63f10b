"""The one blueprint every API resource hangs off, and who is calling it."""

from __future__ import annotations

from flask import Response, g, request
from flask_smorest import Blueprint
from werkzeug.routing import IntegerConverter

from circles.api import errors, tokens
from circles.api.errors import ApiParser, unauthorized
from circles.errors import NotFound
from circles.extensions import db
from circles.ids import ID_MAX
from circles.models import User, utcnow
from circles.security_log import security_event

ID = "api_id"


class IdConverter(IntegerConverter):
    """Any run of ASCII digits; ids out of range are answered like missing ones (404,
    logged), not as an unknown route, so huge or zero ids behave like any other hidden id.
    Digits of other scripts ("١", which ``\\d`` and ``int()`` read as 1) match no route."""

    regex = r"[0-9]{1,30}"


def id_schema(_: IdConverter) -> dict[str, object]:
    return {"type": "integer", "minimum": 1, "maximum": ID_MAX}


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1",
                  description="Circles JSON API, version 1 (docs/api.md).")
errors.register(bp)


def me() -> User:
    """The member whose token authenticated this request."""
    user: User = g.api_user
    return user


@bp.before_request
def authenticate() -> None:
    """Every API request carries a live personal access token; cookies count for nothing."""
    scheme, _, plaintext = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not plaintext.strip():
        raise unauthorized("Send a personal access token: Authorization: Bearer circ_…")
    user = tokens.authenticate(db(), plaintext.strip(), now=utcnow())
    if user is None:
        security_event("authn_login_fail", user="anonymous",
                       reason="API token unknown, expired or revoked")
        raise unauthorized("That token is unknown, expired or revoked.")
    db().commit()  # last_used_at
    g.api_user = user
    values = (request.view_args or {}).values()
    if any(isinstance(v, int) and not 1 <= v <= ID_MAX for v in values):
        raise NotFound("resource")


@bp.after_request
def never_cached(response: Response) -> Response:
    """Answers are one member's data: no shared or browser cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response
