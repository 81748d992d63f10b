"""Schemathesis against the JSON API, in-process through WSGI, on a seeded SQLite world.

Every operation of the served OpenAPI 3.1 spec gets generated requests (a bounded number),
sent with the owner's token; each answer must be no server error, have a documented status
code and content type, match its response schema, and — schemathesis' ``ignored_auth`` —
be refused once the token is taken away. ``CIRCLES_FUZZ_REPORT=1`` prints how many
requests were checked (the figure for the closing note); otherwise the file prints nothing.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api_world import ApiWorld, build_api_world

SPEC = "/api/v1/openapi.json"
MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, ignored_auth]
EXAMPLES: Counter[str] = Counter()


@pytest.fixture
def backend() -> str:
    """SQLite only: the fuzz run is about the API's contract, not the database."""
    return "sqlite"


@pytest.fixture
def world(app: Flask, make_user: Callable[..., Any], make_community: Callable[..., Any],
          make_circle: Callable[..., Any]) -> ApiWorld:
    return build_api_world(app, make_user, make_community, make_circle)


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    plugins = request.config.pluginmanager
    terminal, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if os.environ.get("CIRCLES_FUZZ_REPORT") != "1" or terminal is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        terminal.write_line(f"\nAPI fuzz: {sum(EXAMPLES.values())} requests over "
                            f"{len(EXAMPLES)} (operation, mode) pairs")
        for label, n in sorted(EXAMPLES.items()):
            terminal.write_line(f"  {label}: {n}")


@pytest.mark.parametrize(("mode", "known_ids"), [
    (GenerationMode.POSITIVE, False),  # valid requests, mostly for ids that are not there
    (GenerationMode.POSITIVE, True),  # valid requests for the world's own ids (200 answers)
    (GenerationMode.NEGATIVE, False),  # requests that break the spec: 400/404, never 5xx
], ids=["positive", "known-ids", "negative"])
def test_api_conforms_to_its_spec(app: Flask, world: ApiWorld, mode: GenerationMode,
                                  known_ids: bool) -> None:
    """Each operation gets ``MAX_EXAMPLES`` generated requests."""
    # schemathesis' pytest plugin (from_fixture) does not run on pytest 9 yet, so each
    # operation's case strategy drives a Hypothesis test here instead.
    schema = schemathesis.openapi.from_wsgi(SPEC, app)
    operations: list[Any] = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) == 11
    failures: list[str] = []
    for operation in operations:
        label = f"{operation.label} ({mode.value}{', known ids' if known_ids else ''})"
        pinned = {name: world.ids[name] for name in re.findall(r"{(\w+)}", operation.path)}
        if known_ids and not pinned:
            continue  # nothing to pin: the plain positive run covers it

        strategy = operation.as_strategy(generation_mode=mode,
                                         path_parameters=pinned if known_ids else None)
        try:
            _conformance(strategy, label, world.headers("owner"))()
        except Exception as exc:  # noqa: BLE001 — collect every operation's failures
            failures.append(f"{label}: {exc}")
    assert not failures, "\n\n".join(failures)


def _conformance(strategy: Any, label: str, headers: dict[str, str]) -> Callable[[], None]:
    """A Hypothesis test sending ``strategy``'s cases with ``headers``, checking ``CHECKS``."""

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case: Any) -> None:
        EXAMPLES[label] += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    return conforms


def test_every_operation_refuses_a_request_without_a_token(app: Flask, world: ApiWorld) -> None:
    """The plain form of "auth not ignored": each documented operation, no token → 401."""
    spec = app.test_client().get(SPEC).get_json()
    client = app.test_client()
    tried = 0
    for path, item in spec["paths"].items():
        url = path.format(**world.ids)
        for method in (m for m in item if m != "parameters"):
            assert item[method]["responses"].get("401"), (method, path)
            for headers in ({}, {"Authorization": "Bearer circ_not-a-real-token"}):
                response = client.open(url, method=method.upper(), headers=headers, json={})
                assert response.status_code == 401, (method, url, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert client.open(url, method=method.upper(), headers=world.headers("owner"),
                               json={}).status_code == 200, (method, url)
            tried += 1
    assert tried == 11
