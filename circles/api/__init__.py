"""The JSON API under /api/v1: personal access tokens, keyset pages, an OpenAPI 3.1 spec.

Resources live in one module per noun (members, communities, circles, commitments), all on
the ``api`` blueprint (circles/api/blueprint.py); flask-smorest writes the spec from their
marshmallow schemas. docs/api.md is the guide for integrators.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule

from circles.api import errors
from circles.api.blueprint import ID, IdConverter, bp, id_schema
from circles.api.spec import CirclesApi
from circles.extensions import csrf

DESCRIPTION = """\
Read what a member can see in Circles, and record how their commitments went.

**Authentication**: a personal access token, created on the member's /settings/tokens
page, sent as `Authorization: Bearer circ_…`. The API never reads cookies, so no CSRF
token is needed (or accepted) here. A missing, unknown, expired or revoked token, or a
disabled account, is answered 401 with `WWW-Authenticate: Bearer`.

**Authorisation** is the same as on the web pages. Anything the caller may not see is
answered 404, exactly like something that does not exist. Nothing confidential ever
leaves through the API: no private notes, feedback, pulse comments, private goals or
other members' outside contacts.

**Lists** take `?limit=` (1 to 100, default 20) and an opaque `?cursor=`, and answer
`{"items": [...], "next_cursor": "…" | null}`.

**Errors** are `{"error": {"message": "…", "field": "…" | null}}`; for a bad parameter the
message starts with the field's name (`limit: Give a number from 1 to 100.`).
"""


meta = Blueprint("api_meta", __name__, url_prefix="/api")
errors.register(meta)


@meta.get("/v1/openapi.json")
def openapi_json() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of the API (no token needed)."""
    return jsonify(current_app.extensions["circles-api"].spec.to_dict())


@meta.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@meta.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> ResponseReturnValue:
    """Any other path under /api: JSON 404, or 405 when only the method is wrong."""
    api_rules = [Rule(r.rule, methods=r.methods, endpoint=r.endpoint)
                 for r in current_app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    adapter = Map(api_rules, converters=current_app.url_map.converters).bind("")
    try:
        adapter.match(request.path, method=request.method)
    except RouteNotFound:
        raise errors.ApiError(404, "There is no such API resource.") from None
    raise errors.ApiError(404, "There is no such API resource.")  # pragma: no cover


def init_app(app: Flask) -> None:
    """Mount the API and its spec; CSRF does not apply (tokens in a header, no cookies)."""
    from circles.api import circles, commitments, communities, members  # noqa: F401

    app.url_map.converters[ID] = IdConverter
    api = CirclesApi(spec_kwargs=_spec_kwargs(), complete=_security_scheme)
    api.register_converter(IdConverter, id_schema)  # before init_app: read when it is written
    api.init_app(app)
    for blueprint in (bp, meta):
        csrf.exempt(blueprint)
    api.register_blueprint(bp)
    app.register_blueprint(meta)
    app.extensions["circles-api"] = api


def _security_scheme(spec: APISpec) -> None:
    spec.components.security_scheme("personalAccessToken", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token from /settings/tokens (circ_…)."})


def _spec_kwargs() -> dict[str, Any]:
    return {"title": "Circles API", "version": "1", "openapi_version": "3.1.0",
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
            "security": [{"personalAccessToken": []}]}
