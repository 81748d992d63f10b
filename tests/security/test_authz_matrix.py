"""The authorisation matrix: every HTTP route of the URL map, tried by every role, must
answer as ``MATRIX`` (tests/support/authz_matrix.py) declares; a route missing from it fails.

Roles and the world are in tests/support/authz_world.py; how an answer is classified in
tests/support/authz_harness.py. Denials must look exactly like a missing id (404, "hidden") and be
logged as the security event ``authz_fail``. Every id in a URL is also tried as another
community's, a deleted one's, a huge one and a word: all "hidden".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from circles import create_app
from tests.support.authz_harness import (
    DenialLog,
    Template,
    client_as,
    config,
    copy_of,
    make_template,
    outcome,
    send,
)
from tests.support.authz_matrix import MATRIX, Row
from tests.support.authz_routes import resolve, url_for_rule
from tests.support.authz_world import ROLES

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def _routes() -> list[tuple[str, str]]:
    app = create_app(config(Path("/nonexistent/never-opened.sqlite3")))
    return sorted({(rule.endpoint, method) for rule in app.url_map.iter_rules()
                   for method in (rule.methods or set()) - SKIPPED_METHODS})


ROUTES = _routes()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("authz"))


@pytest.fixture(scope="module")
def reader(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One copy of the world for every GET (a GET never writes: tests/security/test_csrf_and_get.py)."""
    with copy_of(template, tmp_path_factory.mktemp("reader")) as app:
        yield app


@pytest.fixture
def denials() -> Iterator[DenialLog]:
    handler = DenialLog()
    logger = logging.getLogger("circles.security")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def expected(row: Row, role: str) -> str:
    if role == "anonymous":
        return row.anonymous
    return "reach" if role in row.allow else "hidden"


def rule_of(app: Flask, endpoint: str, method: str) -> object:
    return next(r for r in app.url_map.iter_rules()
                if r.endpoint == endpoint and method in (r.methods or set()))


def answers(template: Template, reader: Flask, tmp_path: Path, endpoint: str, method: str,
            row: Row) -> dict[str, str]:
    """Each role's outcome; a request that may write gets its own copy of the world."""
    found: dict[str, str] = {}
    if method == "GET":
        rule = rule_of(reader, endpoint, method)
        url = url_for_rule(reader, rule, template.world, row.args)  # type: ignore[arg-type]
        for role in ROLES:
            client = client_as(reader, template, role, token=row.api)
            found[role] = outcome(send(client, method, url, anonymous=role == "anonymous"),
                                  api=row.api)
        return found
    data = {name: resolve(template.world, source) for name, source in row.data.items()}
    shared = [r for r in ROLES if expected(row, r) != "reach"]
    own = [r for r in ROLES if r not in shared]
    batches = [("denied", shared)] + [(role, [role]) for role in own]
    for name, roles in batches:
        with copy_of(template, tmp_path / name) as app:
            rule = rule_of(app, endpoint, method)
            url = url_for_rule(app, rule, template.world, row.args)  # type: ignore[arg-type]
            for role in roles:
                client = client_as(app, template, role, token=row.api)
                found[role] = outcome(send(client, method, url, anonymous=role == "anonymous",
                                           data=data, api=row.api), api=row.api)
    return found


@pytest.mark.parametrize(("endpoint", "method"), ROUTES, ids=[f"{e}-{m}" for e, m in ROUTES])
def test_every_role_gets_what_the_matrix_declares(
        template: Template, reader: Flask, tmp_path: Path, denials: DenialLog,
        endpoint: str, method: str) -> None:
    row = MATRIX.get((endpoint, method))
    assert row is not None, (f"{method} {endpoint} is not in the authorisation matrix: "
                             "declare who may reach it in tests/support/authz_matrix.py")
    found = answers(template, reader, tmp_path, endpoint, method, row)
    want = {role: expected(row, role) for role in ROLES}
    assert found == want, {r: (found[r], want[r]) for r in ROLES if found[r] != want[r]}
    hidden_from = [r for r in ROLES if r != "anonymous" and found[r] == "hidden"]
    if hidden_from and row.logged:
        assert len([e for e in denials.events if "authz_fail" in e]) >= len(hidden_from)


def test_the_matrix_names_only_routes_that_exist() -> None:
    assert sorted(set(MATRIX) - set(ROUTES)) == []


INT_ROUTES = [(e, m) for e, m in ROUTES if MATRIX.get((e, m)) is not None
              and MATRIX[(e, m)].allow and MATRIX[(e, m)].vary]


@pytest.mark.parametrize(("endpoint", "method"), INT_ROUTES,
                         ids=[f"{e}-{m}" for e, m in INT_ROUTES])
def test_other_deleted_huge_or_malformed_ids_are_not_found(
        template: Template, tmp_path: Path, endpoint: str, method: str) -> None:
    row = MATRIX[(endpoint, method)]
    role = next(r for r in ROLES if r in row.allow)
    data = {name: resolve(template.world, source) for name, source in row.data.items()}
    with copy_of(template, tmp_path / "ids") as app:
        rule = rule_of(app, endpoint, method)
        numeric = [name for name, converter in rule._converters.items()  # type: ignore[attr-defined]
                   if isinstance(converter, IntegerConverter)]
        assert numeric, rule  # vary=True is for routes with an id in the URL
        for name in numeric:
            variants = [2**62, "12abc", -1, 0]
            if name in ("circle_id", "community_id"):
                variants.append(template.world.ids["circle_c" if name == "circle_id"
                                                   else "other_community"])
            if name == "community_id":
                variants.append(template.world.ids["deleted_community"])
            for value in variants:
                url = url_for_rule(app, rule, template.world, row.args,  # type: ignore[arg-type]
                                   replace={name: value})
                got = outcome(send(client_as(app, template, role, token=row.api), method, url,
                                   anonymous=False, data=data, api=row.api), api=row.api)
                assert got == "hidden", (role, url, got)
