"""Every form shows all its problems at once, each beside its field, in plain words (issue 17:
sign-up showed the password error, then the e-mail error once the password was fixed; an
empty "plan a session" showed only "Not a valid integer value.").

The walk sends every form of the app (each POST route of the authorisation matrix) empty, as
someone allowed to use it, and reads the answer: no WTForms default message anywhere, and
every error beside a field that is on the page. A table of forms with several bad fields
checks that each bad field gets its own error in the same answer.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.test import TestResponse

import circles.views
from tests.support.authz_harness import Template, client_as, copy_of, make_template, send
from tests.support.authz_matrix import MATRIX
from tests.support.authz_routes import url_for_rule
from tests.support.authz_world import ROLES

# WTForms' own English messages (wtforms/validators.py, wtforms/fields): none may reach a page.
RAW = re.compile(r"This field is required|Not a valid (integer|float|decimal|date|datetime|time)"
                 r" value|Not a valid choice|Invalid Choice|Field must be|Field cannot be"
                 r"|Number must be|Invalid email address|Invalid input\.")
ERROR = re.compile(r'<p class="error"( id="([^"]+)-error")?[^>]*>(.*?)</p>', re.DOTALL)


def test_every_form_class_is_a_plain_form() -> None:
    """A form written later inherits the plain words too (circles/views/forms.py)."""
    from circles.views.forms import PlainForm

    for module in pkgutil.iter_modules(circles.views.__path__, "circles.views."):
        importlib.import_module(module.name)
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    mine = [c for c in found if c.__module__.startswith("circles.")]
    assert len(mine) > 30
    assert [c.__qualname__ for c in mine if not issubclass(c, PlainForm)] == []


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("forms"))


@pytest.fixture
def world(template: Template, tmp_path: Path) -> Iterator[Flask]:
    """A fresh copy of the matrix's world for each form sent."""
    with copy_of(template, tmp_path / "copy") as app:
        yield app


def problems(page: str) -> list[tuple[str, str]]:
    """(field id or "", message) of every error shown on ``page``."""
    return [(m[2] or "", " ".join(m[3].split())) for m in ERROR.finditer(page)]


POSTS = sorted((endpoint, row) for (endpoint, method), row in MATRIX.items()
               if method == "POST" and row.allow and not row.api
               and endpoint not in ("security.csp_report",))


@pytest.mark.parametrize(("endpoint", "row"), POSTS, ids=[e for e, _ in POSTS])
def test_every_form_sent_empty_answers_in_plain_words_beside_its_fields(
        template: Template, world: Flask, endpoint: str, row: Any) -> None:
    role = next(r for r in ROLES if r in row.allow)
    rule = next(r for r in world.url_map.iter_rules()
                if r.endpoint == endpoint and "POST" in (r.methods or set()))
    url = url_for_rule(world, rule, template.world, row.args)
    client = client_as(world, template, role)
    client.environ_base["REMOTE_ADDR"] = f"10.9.{len(endpoint) % 250}.{hash(endpoint) % 250}"
    response = send(client, "POST", url, anonymous=False)
    page = follow(client, response)
    assert response.status_code < 500, (endpoint, response.status_code)
    assert not RAW.search(page), (endpoint, RAW.search(page))
    for field_id, message in problems(page):
        assert message and message[0].isupper(), (endpoint, message)
        if field_id:
            assert f'id="{field_id}"' in page, (endpoint, field_id, "error beside no field")


def follow(client: Any, response: TestResponse) -> str:
    """The page a person ends on: a redirect's target (where its flash is shown)."""
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        response.close()
        return str(client.get(location).get_data(as_text=True))
    return str(response.get_data(as_text=True))


SEVERAL = [
    # (endpoint, role, extra URL args, data sent, every field that must show its own error)
    ("auth.signup", "anonymous", {}, {},
     {"display_name", "email", "password"}),
    ("auth.signup", "anonymous", {}, {"display_name": "Ana", "email": "ana-at-example",
                                      "password": "short"},
     {"email", "password"}),
    # as a browser sends a cleared form: every field there, blank
    ("sessions.new", "owner", {}, {"date": "", "time": "", "duration_minutes": "", "count": ""},
     {"date", "time", "duration_minutes"}),
    ("sessions.new", "owner", {}, {"date": "27/03/2030", "time": "25:00",
                                   "duration_minutes": "ninety", "cadence": "weekly",
                                   "count": "lots"},
     {"date", "time", "duration_minutes", "count"}),
    ("profile.add_success_criterion", "owner", {}, {},
     {"success-text", "success-target_date"}),
    ("profile.add_availability", "owner", {}, {"availability-weekday": "0",
                                               "availability-start": "9 o'clock",
                                               "availability-end": ""},
     {"availability-start", "availability-end"}),
    ("account_security.email", "owner", {}, {},
     {"email", "password"}),
    ("account_security.password", "owner", {}, {},
     {"current_password", "password"}),
    ("email_links.reset", "anonymous", {"token": "ids.reset_token"}, {}, {"password"}),
    ("introductions.request_introduction", "owner", {}, {},
     {"reason", "target_id", "broker_id"}),
    ("network.add_contact", "owner", {}, {}, {"name"}),
]


@pytest.mark.parametrize(("endpoint", "role", "args", "data", "fields"), SEVERAL,
                         ids=[f"{e}-{len(d)}" for e, _, _, d, _ in SEVERAL])
def test_a_form_with_several_bad_fields_shows_every_error_at_once(
        template: Template, world: Flask, endpoint: str, role: str, args: dict[str, str],
        data: dict[str, str], fields: set[str]) -> None:
    rule = next(r for r in world.url_map.iter_rules()
                if r.endpoint == endpoint and "POST" in (r.methods or set()))
    url = url_for_rule(world, rule, template.world, args)
    client = client_as(world, template, role)
    client.environ_base["REMOTE_ADDR"] = f"10.8.{len(data)}.{len(endpoint)}"
    response = send(client, "POST", url, anonymous=role == "anonymous", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, (endpoint, response.status_code)
    shown = {field for field, _ in problems(page) if field}
    assert fields <= shown, (endpoint, sorted(fields - shown), problems(page))
    assert not RAW.search(page), RAW.search(page)
