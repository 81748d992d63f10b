"""The OpenAPI spec, written on its first read (circles/api/spec.py), is the document
flask-smorest writes while the app is made: byte for byte as served, and through the CLI.

The reference is flask-smorest's own eager ``Api`` given the same options, converter,
security scheme and blueprint, in the order ``circles.api.init_app`` used before the spec was
deferred; a difference in any key, value or key order fails.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api

from circles import api as circles_api
from circles import create_app, ids
from circles.api.blueprint import ID, IdConverter, bp, id_schema
from circles.api.spec import CirclesApi
from tests.conftest import app_config

SPEC = "/api/v1/openapi.json"


class EagerApi(Api):
    """flask-smorest as it comes, with the error settings of ``CirclesApi``."""

    ERROR_SCHEMA = CirclesApi.ERROR_SCHEMA
    DEFAULT_ERROR_RESPONSE_NAME = CirclesApi.DEFAULT_ERROR_RESPONSE_NAME

    def _register_error_handlers(self) -> None:
        return None


def eager_spec() -> dict[str, Any]:
    """The spec as flask-smorest writes it while an app is made."""
    reference = Flask("reference")
    reference.url_map.converters["int"] = ids.IdConverter
    reference.url_map.converters[ID] = IdConverter
    api = EagerApi(spec_kwargs=circles_api._spec_kwargs())
    api.init_app(reference)
    api.register_converter(IdConverter, id_schema)
    circles_api._security_scheme(api.spec)
    api.register_blueprint(bp)
    spec: dict[str, Any] = api.spec.to_dict()
    return spec


def test_the_served_spec_is_byte_for_byte_the_eager_one(tmp_path: Path) -> None:
    app = create_app(app_config("sqlite", tmp_path))
    served = app.test_client().get(SPEC)
    assert served.status_code == 200
    with app.app_context():
        expected = jsonify(eager_spec()).get_data()
    assert served.get_data() == expected
    assert len(json.loads(expected)["paths"]) > 5


def test_the_cli_prints_the_eager_spec(tmp_path: Path) -> None:
    app = create_app(app_config("sqlite", tmp_path))
    result = app.test_cli_runner().invoke(args=["openapi", "print"])
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.output).items()) == list(eager_spec().items())


def test_readers_at_once_all_get_the_whole_spec(tmp_path: Path) -> None:
    api = create_app(app_config("sqlite", tmp_path)).extensions["circles-api"]
    start = threading.Barrier(4)
    seen: list[Any] = []

    def read() -> None:
        start.wait()
        seen.append(api.spec.to_dict())

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert seen == [eager_spec()] * 4
