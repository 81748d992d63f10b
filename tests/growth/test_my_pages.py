"""Where a member finds their own things (issue 17): "My pulse answers", "My endings", the
check-in lines they wrote under each goal, and their API tokens, linked from the pages where
one looks for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from circles.extensions import orm
from circles.models import GoalCheckin, Pulse
from tests.support.authz_harness import Template, client_as, copy_of, make_template


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Template, Flask]]:
    """The matrix's world: Ola answered a pulse in circle A and checked in on her criterion
    ("ok"); Pia checks in on their circle goal too."""
    template = make_template(tmp_path_factory.mktemp("mine"))
    with copy_of(template, tmp_path_factory.mktemp("mine-copy")) as app:
        with app.app_context():
            ids, users = template.world.ids, template.world.users
            orm.session.add_all([
                GoalCheckin(user_id=users["owner"], circle_goal_id=ids["goal"], rating=4,
                            line="Drafted the plan together", visibility="circle"),
                GoalCheckin(user_id=users["peer"], circle_goal_id=ids["goal"], rating=2,
                            line="Pia's own words", visibility="circle"),
                Pulse(circle_id=ids["circle_b"], user_id=users["stranger"], score=2,
                      comment="Sam's private comment")])
            orm.session.commit()
        yield template, app


def page(world: tuple[Template, Flask], role: str, url: str) -> str:
    template, app = world
    response = client_as(app, template, role).get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_my_pulse_answers_lists_each_answer_with_a_link(world: tuple[Template, Flask]) -> None:
    template, _ = world
    mine = page(world, "owner", "/pulses")
    assert f'href="/pulses/{template.world.ids["pulse"]}"' in mine and "Circle A" in mine
    assert "4 / 5" in mine and "Circle B" not in mine  # Sam's answer is his alone
    sams = page(world, "stranger", "/pulses")
    assert "Circle B" in sams and "Circle A" not in sams
    assert "No answers yet" in page(world, "facilitator", "/pulses")


@pytest.mark.parametrize(("url", "links"), [
    ("/profile", ["/pulses", "/endings", "/settings/tokens"]),
    ("/network", ["/pulses", "/endings"]),
    ("/goals", ["/pulses"]),
    ("/journal", ["/pulses", "/endings"]),
    ("/account", ["/settings/tokens"]),
    ("/account/logins", ["/settings/tokens"]),
    ("/circles/{circle}", ["/endings"]),  # beside the membership history
])
def test_my_things_are_linked_where_one_looks(world: tuple[Template, Flask], url: str,
                                              links: list[str]) -> None:
    template, _ = world
    shown = page(world, "owner", url.format(circle=template.world.ids["circle"]))
    assert [link for link in links if f'href="{link}"' not in shown] == []


def test_the_goals_page_lists_my_own_check_in_lines_under_each_goal(
        world: tuple[Template, Flask]) -> None:
    template, _ = world
    shown = page(world, "owner", "/goals")
    criterion = shown[shown.index(f'id="criterion-{template.world.ids["criterion"]}"'):]
    circle_goal = shown[shown.index(f'id="circle-{template.world.ids["goal"]}"'):]
    assert "My check-ins" in criterion and "3/5 — “ok”" in criterion.split("</article>")[0]
    mine = circle_goal.split("</article>")[0]
    assert "4/5 — “Drafted the plan together”" in mine
    listed = mine[mine.index("my-checkins"):]
    assert "Pia&#39;s own words" not in listed and "Pia's own words" not in listed
