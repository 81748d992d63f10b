"""Site administrators: granted from the command line, they see communities' sizes and can
disable or enable accounts; everyone else is told the pages do not exist (404)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from circles.extensions import orm
from circles.models import User
from tests.conftest import AuthActions, csrf_token, post_form


@pytest.fixture
def cast(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> dict[str, Any]:
    people = {name: make_user(display_name=name.title(), email=f"{name}@example.org")
              for name in ("root", "fay", "mo", "nia")}
    community = make_community(people["fay"], name="Night school",
                               members=[people["mo"], people["nia"]])
    make_circle(community, [people["mo"], people["nia"]], name="Owls")
    result = app.test_cli_runner().invoke(args=["admin", "grant", "ROOT@example.org"])
    assert result.exit_code == 0, result.output
    assert "root@example.org is now a site administrator." in result.output
    return {"people": people, "community": community}


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    return client


@pytest.mark.parametrize("who", ["fay", "mo"])  # a community's facilitator, a member
def test_admin_pages_do_not_exist_for_anyone_else(app: Flask, cast: dict[str, Any],
                                                  who: str) -> None:
    client = as_user(app, f"{who}@example.org")
    for path in ("/admin/", "/admin/accounts", "/admin/accounts?q=mo"):
        assert client.get(path).status_code == 404, path
    mo = cast["people"]["mo"]
    token = csrf_token(client, "/")
    assert client.post(f"/admin/accounts/{mo.id}/disable",
                       data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert orm.session.get_one(User, mo.id).is_active is True
    assert app.test_client().get("/admin/").status_code == 302  # anonymous: log in first


def test_the_overview_shows_sizes_and_facilitators_only(app: Flask,
                                                        cast: dict[str, Any]) -> None:
    page = as_user(app, "root@example.org").get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html[html.index(f'data-community-id="{cast["community"].id}"'):]
    row = row[:row.index("</tr>")]
    assert "Night school" in row and "<td>3</td>" in row and "<td>1</td>" in row
    assert "Fay" in row
    assert "Owls" not in html  # circle names are the community's business, not the operator's


def test_search_finds_by_email_or_name_and_takes_wildcards_literally(
        app: Flask, cast: dict[str, Any], make_user: Any) -> None:
    make_user(display_name="Percent 100%", email="pc@example.org")
    client = as_user(app, "root@example.org")

    def found(query: str) -> set[str]:
        html = client.get("/admin/accounts", query_string={"q": query}).get_data(as_text=True)
        return {email for email in ("root", "fay", "mo", "nia", "pc")
                if f"<td>{email}@example.org</td>" in html}

    assert found("NIA@") == {"nia"}
    assert found("Fay") == {"fay"}
    assert found("%") == {"pc"}
    assert found("_") == set()
    assert found("") == {"root", "fay", "mo", "nia", "pc"}
    assert client.get("/admin/accounts", query_string={"q": "x" * 255}).status_code == 422


def test_disabling_ends_the_accounts_logins_and_enabling_lets_them_back(
        app: Flask, cast: dict[str, Any]) -> None:
    mo = cast["people"]["mo"]
    mos_browser = as_user(app, "mo@example.org")
    assert mos_browser.get("/").status_code == 200
    admin = as_user(app, "root@example.org")
    done = post_form(admin, f"/admin/accounts/{mo.id}/disable", page="/admin/accounts")
    assert done.status_code == 302
    assert "disabled" in admin.get(done.headers["Location"]).get_data(as_text=True)
    assert mos_browser.get("/network").status_code == 302  # back to the login page
    assert AuthActions(app.test_client()).login("mo@example.org").status_code != 302
    post_form(admin, f"/admin/accounts/{mo.id}/enable", page="/admin/accounts")
    assert AuthActions(app.test_client()).login("mo@example.org").status_code == 302


def test_an_admin_cannot_disable_themselves_or_unknown_accounts(
        app: Flask, cast: dict[str, Any]) -> None:
    admin = as_user(app, "root@example.org")
    root = cast["people"]["root"]
    refused = post_form(admin, f"/admin/accounts/{root.id}/disable", page="/admin/accounts")
    assert refused.status_code == 409
    assert "cannot disable your own account" in refused.get_data(as_text=True)
    assert post_form(admin, "/admin/accounts/999999/disable",
                     page="/admin/accounts").status_code == 404
    assert post_form(admin, f"/admin/accounts/{root.id}/delete",
                     page="/admin/accounts").status_code == 404


def test_revoking_takes_the_pages_away(app: Flask, cast: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "revoke", "root@example.org"])
    assert "no longer a site administrator" in result.output
    assert as_user(app, "root@example.org").get("/admin/").status_code == 404
    unknown = runner.invoke(args=["admin", "grant", "nobody@example.org"])
    assert unknown.exit_code != 0 and "That account was not found." in unknown.output
