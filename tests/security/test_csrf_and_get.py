"""Every state-changing route refuses a request without a valid CSRF token, and no GET writes.

Both walk the URL map, so a new route is checked the day it is added: its URL arguments must
be known to ``tests/authz_routes.ARGS`` (or ``OVERRIDES`` here), every write method must be
CSRF-protected (or listed in ``CSRF_EXEMPT`` with the reason), and every GET must be reached
by at least one role (or listed in ``UNREACHED`` with the reason) without a single INSERT,
UPDATE or DELETE reaching the database (or listed in ``GET_WRITES`` with the reason; it is
empty: no GET writes). Runs on SQLite, in the authorisation matrix's world
(tests/support/authz_world.py), each role with its own login cookie.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from werkzeug.routing import Rule

from circles.extensions import orm
from tests.support.authz_harness import Template, client_as, copy_of, make_template
from tests.support.authz_routes import ARGS, url_for_rule

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Routes whose URL arguments need another world value than ``ARGS`` gives.
OVERRIDES: dict[str, dict[str, str]] = {
    "auth.claim": {"token": "ids.claim_token"},
    "email_links.verify": {"token": "ids.verify_token"},
    "email_links.reset": {"token": "ids.reset_token"},
    "email_links.confirm_email": {"token": "ids.verify_token"},  # a button page whatever
    "invitations.show": {"token": "ids.invitation_token"},
    "invitations.answer": {"token": "ids.invitation_token"},
    "api_meta.unknown": {"rest": "no-such-resource"},
}
#: Write routes that take no CSRF token, and why.
CSRF_EXEMPT = {
    "security.csp_report": "browsers POST violation reports without a token; it only logs",
}
#: Paths whose routes authenticate with a bearer token only, never the cookie: a cross-site
#: form cannot forge them, so a cookie-only request must be refused as unauthenticated.
BEARER_ONLY = ("/api/",)
#: GET routes that may write, and why: none.
GET_WRITES: dict[str, str] = {}
#: GET routes no role of the world reaches with a 2xx, and why.
UNREACHED: dict[str, str] = {
    "auth.second_factor": "the log-in's second step, only right after a password",
    "email_links.confirm_email": "a link e-mailed to a new address: "
                                 "tests/members/test_account_security.py opens it",
    "invitations.show": "Sam's alone (GET_ROLES leave him out); the matrix shows he reaches it",
    "safety.concerns": "Sam's alone as the safety contact (GET_ROLES leave him out); the "
                       "matrix shows he reaches it, tests/communities/test_safety.py reads it",
}
#: Roles whose GETs are tried: between them every page of the world is theirs to see.
GET_ROLES = ("owner", "peer", "facilitator", "admin", "anonymous")
WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
CSRF_REFUSAL = "not sent from this site"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("csrf-world"))


@pytest.fixture(scope="module")
def world_app(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with copy_of(template, tmp_path_factory.mktemp("csrf-copy")) as app:
        app.config["SHOW_DEV_OUTBOX"] = True  # so /dev/outbox is a page, not a 404
        yield app


class WriteWatch:
    """Collects the data-changing SQL this thread sends while ``watching()``."""

    def __init__(self, app: Flask) -> None:
        self.statements: list[str] = []
        self.thread: int | None = None
        with app.app_context():
            event.listen(orm.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Only this thread: a server's background beat must not count as the request's.
        if threading.get_ident() == self.thread and WRITE_STATEMENT.match(statement):
            self.statements.append(" ".join(statement.split())[:120])

    @contextmanager
    def watching(self) -> Iterator[list[str]]:
        self.statements = []
        self.thread = threading.get_ident()
        try:
            yield self.statements
        finally:
            self.thread = None


@pytest.fixture(scope="module")
def watch(world_app: Flask) -> WriteWatch:
    return WriteWatch(world_app)


def rules(app: Flask, methods: set[str]) -> list[Rule]:
    found = [r for r in app.url_map.iter_rules() if methods & (r.methods or set())]
    return sorted(found, key=lambda r: r.rule)


def url(app: Flask, template: Template, rule: Rule, *, any_id: bool = False) -> str:
    """The rule's URL with world ids; ``any_id``: unknown arguments become 1 (the CSRF check
    runs before the view, so which object a refused write names does not matter)."""
    overrides = {name: "1" for name in rule.arguments if name not in ARGS} if any_id else {}
    return url_for_rule(app, rule, template.world, overrides | OVERRIDES.get(rule.endpoint, {}))


def test_every_write_route_refuses_a_request_without_a_valid_csrf_token(
        world_app: Flask, template: Template, watch: WriteWatch) -> None:
    client = client_as(world_app, template, "owner")
    checked = []
    for rule in rules(world_app, WRITE_METHODS):
        target = url(world_app, template, rule, any_id=True)
        for method in sorted(WRITE_METHODS & (rule.methods or set())):
            for data in ({}, {"csrf_token": "forged-token"}):
                with watch.watching() as writes:
                    response = client.open(target, method=method, data=data)
                where = f"{method} {rule.rule} ({rule.endpoint}) with {data or 'no token'}"
                assert writes == [], f"{where} wrote: {writes}"
                if rule.endpoint in CSRF_EXEMPT:
                    assert response.status_code < 400, where
                elif rule.rule.startswith(BEARER_ONLY):  # 404: the API's catch-all
                    assert response.status_code in (401, 404), where
                else:
                    assert response.status_code == 400, where
                    assert CSRF_REFUSAL in response.get_data(as_text=True), where
                checked.append(where)
    assert len(checked) >= 2 * 60  # the map has some 70 write routes today
    assert set(CSRF_EXEMPT) <= {r.endpoint for r in world_app.url_map.iter_rules()}


def test_no_get_route_writes_to_the_database(
        world_app: Flask, template: Template, watch: WriteWatch) -> None:
    clients = {role: client_as(world_app, template, role) for role in GET_ROLES}
    reached: dict[str, list[str]] = {}
    wrote: list[str] = []
    for rule in rules(world_app, {"GET"}):
        target = url(world_app, template, rule)
        for role, client in clients.items():
            with watch.watching() as writes:
                response = client.get(target)
                response.close()
            assert response.status_code < 500, f"GET {target} as {role}"
            if writes and rule.endpoint not in GET_WRITES:
                wrote.append(f"GET {target} ({rule.endpoint}) as {role}: {writes}")
            if 200 <= response.status_code < 300:
                reached.setdefault(rule.endpoint, []).append(role)
    assert wrote == []
    print(f"{len(reached)} GET routes reached, as {sum(map(len, reached.values()))} role×route")
    bearer_only = {r.endpoint for r in world_app.url_map.iter_rules()
                   if r.rule.startswith(BEARER_ONLY)}  # tests/api/test_api.py reaches them
    unreached = ({r.endpoint for r in rules(world_app, {"GET"})} - set(reached)
                 - set(UNREACHED) - bearer_only)
    assert unreached == set(), "no role reached these pages: give the world what they show"


def test_the_write_watch_sees_writes(world_app: Flask, watch: WriteWatch) -> None:
    """The listener is what makes the GET test mean something: prove it catches a write."""
    with world_app.app_context(), watch.watching() as writes:
        orm.session.execute(orm.text("UPDATE user SET timezone = timezone WHERE id = 0"))
        orm.session.rollback()
    assert writes and writes[0].startswith("UPDATE")


def test_the_lists_name_real_routes(world_app: Flask) -> None:
    endpoints = {r.endpoint for r in world_app.url_map.iter_rules()}
    for listed in (CSRF_EXEMPT, GET_WRITES, UNREACHED, OVERRIDES):
        assert set(listed) <= endpoints, listed
    assert Path(__file__).name == "test_csrf_and_get.py"
