"""A small cohort for the "Form circles" page tests, and what those tests do over HTTP.

Runs are computed in the request: the tests set ``FORMATION_RUN_INLINE`` on the app.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from circles.extensions import orm
from circles.models import FormationRun
from tests.conftest import AuthActions, post_form

ORGS = ("Acme", "Globex", "Initech")
DEPARTMENTS = ("Finance", "Legal", "Platform", "Sales")
SETTINGS = {"format": "range", "size": "4", "min_size": "4", "max_size": "6", "rounds": "1",
            "new_tie": "10", "coverage": "50", "complementarity": "3", "diversity": "2",
            "equity": "0.5",
            "repeat_penalty": "10", "time_limit": "0.2"}
WHO = ("facilitator", "member", "outsider", "other_facilitator", "anonymous")

class Cohort:
    """A facilitator, ``n`` members spread over organisations and departments, an outsider
    and the facilitator of another community."""

    def __init__(self, make_user: Any, make_community: Any, n: int) -> None:
        self.facilitator = make_user(display_name="Fay Facilitator")
        self.members = [make_user(display_name=f"Member {i:02d}", organisation=ORGS[i % 3],
                                  department=DEPARTMENTS[i % 4]) for i in range(n)]
        self.outsider = make_user(display_name="Otto Outsider")
        self.other_facilitator = make_user(display_name="Olga Other")
        self.community = make_community(self.facilitator, members=self.members)
        make_community(self.other_facilitator, name="Elsewhere", members=[self.outsider])

    def user(self, who: str) -> Any:
        return self.members[0] if who == "member" else getattr(self, who)

    @property
    def new_url(self) -> str:
        return f"/communities/{self.community.id}/formation/new"


def log_in(auth: AuthActions, cohort: Cohort, who: str) -> None:
    if who != "anonymous":
        assert auth.login(cohort.user(who).email).status_code == 302


def start(client: FlaskClient, cohort: Cohort, **changes: str) -> int:
    """Submit the settings as the logged-in facilitator; the new run's id."""
    response = post_form(client, cohort.new_url, {**SETTINGS, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    match = re.fullmatch(r"/formation/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def run_row(app: Flask, run_id: int) -> FormationRun:
    with app.app_context():
        run = orm.session.get_one(FormationRun, run_id)
        orm.session.expunge(run)
        return run


def run_count(app: Flask) -> int:
    with app.app_context():
        return orm.session.scalar(select(func.count()).select_from(FormationRun)) or 0


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str) -> Any:
    return post_form(client, url, data, page=page)


def plan_of(app: Flask, run_id: int) -> list[list[list[int]]]:
    return list(run_row(app, run_id).plan["rounds"])
