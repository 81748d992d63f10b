"""The API's flask-smorest extension, which writes its OpenAPI spec when it is first read.

flask-smorest writes the whole spec while the app is made (``Api.init_app`` and every
``Api.register_blueprint``): resolving each marshmallow schema and every operation's
responses took ~10 ms of each ``create_app``, for a document that only
``GET /api/v1/openapi.json`` and ``flask openapi print`` ever read — and the test suite makes
about 2,000 apps. Here the blueprints are mounted on the app at once as before, and the same
steps in the same order (``_init_spec``, the converters, the extra components, each
blueprint's views and tag) run on the first read of ``spec``, under a lock, so the document is
the one the eager extension wrote (tests/api/test_api_spec.py compares them). Neither the
steps nor the views read anything of the request: only the app's config and URL map.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from apispec import APISpec
from flask_smorest import Api, Blueprint

from circles.api import errors


class CirclesApi(Api):
    """flask-smorest, minus its app-wide error handler (only /api answers errors as JSON), with
    its spec written on first read; ``complete`` adds components of our own to a new spec."""

    ERROR_SCHEMA = errors.ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own error codes

    def __init__(self, *, spec_kwargs: dict[str, Any],
                 complete: Callable[[APISpec], None] = lambda spec: None) -> None:
        self._complete = complete
        self._written: APISpec | None = None
        self._pending: dict[str, Any] | None = None  # the spec's options until it is written
        self._documented: list[tuple[Blueprint, str, Any]] = []
        self._writing = threading.RLock()  # re-entered: writing reads ``spec`` itself
        self._in_write = False
        super().__init__(spec_kwargs=spec_kwargs)

    @property
    def spec(self) -> APISpec | None:
        """The OpenAPI spec, written on first read (None before ``init_app``)."""
        if self._pending is not None:
            with self._writing:  # another thread's first read waits for the whole spec
                if self._pending is not None and not self._in_write:
                    self._in_write = True  # the write's own reads see the spec it builds
                    try:
                        self._write(self._pending)
                        self._pending = None
                    finally:
                        self._in_write = False
        return self._written

    @spec.setter
    def spec(self, value: APISpec | None) -> None:
        self._written = value

    def _init_spec(self, **options: Any) -> None:
        """Keep the spec's options for its first read; the CLI's ``openapi`` group is added
        now, as flask-smorest does."""
        from flask_smorest.spec import openapi_cli

        self._pending = options
        self._app.cli.add_command(openapi_cli)

    def register_blueprint(self, blp: Blueprint, *, parameters: Any = None,
                           **options: Any) -> None:
        """Mount ``blp`` on the app now; its views enter the spec when the spec is written."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._documented.append((blp, name, parameters))

    def _write(self, options: dict[str, Any]) -> None:
        """flask-smorest's own steps, in the order ``init_app`` and the registrations ran."""
        super()._init_spec(**options)
        spec = self._written
        assert spec is not None
        self._complete(spec)
        for blp, name, parameters in self._documented:
            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
            spec.tag({"name": name, "description": blp.description})

    def _register_error_handlers(self) -> None:
        return None
