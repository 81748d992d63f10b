"""Bulk onboarding over HTTP: who may import, upload → preview → confirm → claim links."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, stream_encode_multipart

from circles.extensions import orm
from circles.models import Community, Membership, Tie, User
from tests.conftest import PASSWORD, AuthActions, csrf_token, post_form

MEMBERS = ("name,email,organisation,department,team\n"
           "Ana Silva,ana@example.org,Acme,Finance,FIN\n"
           "Bo Chen,bo@example.org,Acme,Finance,FIN\n"
           "Cy Dee,cy@example.org,Globex,Research,\n")
TIES = "email_a,email_b\ncy@example.org,ana@example.org\n"


@pytest.fixture
def world(make_user: Callable[..., User], make_community: Callable[..., Community]) -> dict[str, Any]:
    facilitator = make_user(email="fac@example.org")
    member = make_user(email="member@example.org")
    other = make_user(email="other@example.org")
    make_user(email="out@example.org")
    community = make_community(facilitator, members=[member])
    make_community(other, name="Other Cohort")
    return {"community": community, "url": f"/communities/{community.id}/import"}


def count_rows(app: Flask) -> tuple[int, ...]:
    with app.app_context():
        return tuple(orm.session.scalar(select(func.count()).select_from(model)) or 0
                     for model in (User, Membership, Tie))


def multipart(client: FlaskClient, url: str, data: dict[str, Any]) -> TestResponse:
    """POST multipart/form-data from memory: Werkzeug's test client spools bodies over 500 kB
    to a temporary file it never closes (a ResourceWarning, which fails the test)."""
    fields = MultiDict({key: FileStorage(value[0], filename=value[1]) if isinstance(value, tuple)
                        else value for key, value in data.items()})
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return client.post(url, input_stream=stream, content_length=length,
                       content_type=f'multipart/form-data; boundary="{boundary}"')


def upload(client: FlaskClient, url: str, members: bytes, ties: bytes | None = None,
           name: str = "members.csv") -> TestResponse:
    data: dict[str, Any] = {"csrf_token": csrf_token(client, url),
                            "members_csv": (io.BytesIO(members), name)}
    if ties is not None:
        data["ties_csv"] = (io.BytesIO(ties), "ties.csv")
    return multipart(client, url, data)


def confirm_like_a_browser(client: FlaskClient, preview: TestResponse) -> TestResponse:
    """Send the preview's confirm form back: the parser drops the newline after <textarea>,
    the browser submits every line end as CRLF."""
    html = preview.get_data(as_text=True)
    action = re.search(r'action="([^"]+/import/confirm)"', html)
    assert action, "no confirm form on the preview"
    data: dict[str, Any] = {"csrf_token": re.findall(r'name="csrf_token"[^>]*value="([^"]+)"',
                                                     html)[-1]}
    for name in ("members_text", "ties_text"):
        chunks = re.findall(rf'<textarea name="{name}" hidden[^>]*>\n(.*?)</textarea>', html, re.DOTALL)
        data[name] = [unescape(c).replace("\r\n", "\n").replace("\n", "\r\n") for c in chunks]
    return multipart(client, action.group(1), data)


@pytest.mark.parametrize("who", ["member@example.org", "out@example.org", "other@example.org"])
def test_only_the_communitys_facilitators_may_import(
    app: Flask, client: FlaskClient, auth: AuthActions, world: dict[str, Any], who: str
) -> None:
    auth.login(who)
    url = world["url"]
    answers = {
        "GET import": client.get(url).status_code,
        "POST import": post_form(client, url, {}, page="/").status_code,
        "POST confirm": post_form(client, url + "/confirm", {"members_text": MEMBERS},
                                  page="/").status_code,
        "GET claim links": client.get(url + "/claim-links.csv").status_code,
    }
    assert answers == dict.fromkeys(answers, 404)
    assert count_rows(app) == (4, 3, 0)


def test_anonymous_is_sent_to_log_in(client: FlaskClient, world: dict[str, Any]) -> None:
    response = client.get(world["url"])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_upload_preview_confirm_and_claim(app: Flask, client: FlaskClient, auth: AuthActions,
                                         world: dict[str, Any]) -> None:
    auth.login("fac@example.org")
    page = client.get(world["url"]).get_data(as_text=True)
    assert 'type="file"' in page and "name,email,organisation,department,team" in page

    preview = upload(client, world["url"], MEMBERS.encode(), TIES.encode())
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "3 rows ok, 0 problems" in html and "Import 3 members" in html
    assert "links the 1 pair of people who share a team" in html
    assert count_rows(app) == (4, 3, 0)  # nothing saved by the preview

    result = confirm_like_a_browser(client, preview)
    html = result.get_data(as_text=True)
    assert result.status_code == 200, html
    assert count_rows(app) == (7, 6, 2)
    links = re.findall(r'value="(http://localhost/claim/[^"]+)"', html)
    assert len(links) == 3

    download = client.get(world["url"] + "/claim-links.csv")
    assert download.mimetype == "text/csv" and download.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["email", "link"], ["ana@example.org", links[0]],
                    ["bo@example.org", links[1]], ["cy@example.org", links[2]]]

    auth.logout()
    claim = links[0].removeprefix("http://localhost")
    assert "Welcome, Ana Silva" in client.get(claim).get_data(as_text=True)
    assert post_form(client, claim, {"display_name": "Ana", "password": PASSWORD}).status_code == 302
    auth.logout()
    assert client.get(claim).status_code == 404  # a used link is gone
    assert auth.login("ana@example.org").status_code == 302
    assert "Log out (Ana)" in client.get("/").get_data(as_text=True)


def test_an_imported_member_accepts_the_code_of_conduct_when_setting_up(
        app: Flask, client: FlaskClient, auth: AuthActions, world: dict[str, Any]) -> None:
    """Joining asks for the community's code of conduct; so does setting up an account the
    facilitator imported into it: refused in words with nothing saved until ticked."""
    with app.app_context():
        orm.session.get_one(Community, world["community"].id).conduct = "Be kind. What is " \
            "said in a circle stays there."
        orm.session.commit()
    auth.login("fac@example.org")
    html = confirm_like_a_browser(client, upload(client, world["url"], MEMBERS.encode())
                                  ).get_data(as_text=True)
    claim = re.findall(r'value="(http://localhost/claim/[^"]+)"', html)[0]
    claim = claim.removeprefix("http://localhost")
    auth.logout()
    page = client.get(claim).get_data(as_text=True)
    assert "Be kind. What is said in a circle stays there." in page
    assert "I accept the code of conduct above" in page

    refused = post_form(client, claim, {"display_name": "Ana", "password": PASSWORD})
    assert refused.status_code == 422
    assert "Accept the code of conduct to finish setting up your account." in \
        refused.get_data(as_text=True)
    with app.app_context():
        ana = orm.session.scalars(select(User).where(User.email == "ana@example.org")).one()
        assert ana.password_hash is None and ana.display_name == "Ana Silva"  # nothing saved
    assert client.get(claim).status_code == 200  # the link still works

    accepted = post_form(client, claim, {"display_name": "Ana", "password": PASSWORD,
                                         "accept_conduct": "y"})
    assert accepted.status_code == 302
    with app.app_context():
        membership = orm.session.scalars(select(Membership).join(User).where(
            User.email == "ana@example.org")).one()
        assert membership.conduct_accepted_at is not None


def test_bad_row_shows_report_and_imports_nothing(app: Flask, client: FlaskClient,
                                                  auth: AuthActions, world: dict[str, Any]) -> None:
    auth.login("fac@example.org")
    response = upload(client, world["url"], (MEMBERS + "Bob,bob@\n").encode())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "3 rows ok, 1 problem" in html and "Nothing was imported" in html
    assert "line 5, email: &#39;bob@&#39; is not a valid e-mail address" in html
    assert "members_text" not in html  # no way to confirm a file with problems
    assert count_rows(app) == (4, 3, 0)


def test_confirm_checks_again_on_the_server(app: Flask, client: FlaskClient, auth: AuthActions,
                                            world: dict[str, Any]) -> None:
    auth.login("fac@example.org")
    tampered = MEMBERS + "Bob,bob@\n"
    response = post_form(client, world["url"] + "/confirm", {"members_text": tampered},
                         page=world["url"])
    assert response.status_code == 422
    assert "line 5, email: &#39;bob@&#39;" in response.get_data(as_text=True)
    assert count_rows(app) == (4, 3, 0)


def test_bom_file_is_read_and_non_utf8_is_explained(client: FlaskClient, auth: AuthActions,
                                                    world: dict[str, Any]) -> None:
    auth.login("fac@example.org")
    with_bom = upload(client, world["url"], b"\xef\xbb\xbf" + MEMBERS.encode())
    assert with_bom.status_code == 200 and "3 rows ok" in with_bom.get_data(as_text=True)
    latin = upload(client, world["url"], "name,email\nJosé,jose@example.org\n".encode("cp1252"))
    assert latin.status_code == 422
    assert "The file is not UTF-8 text: line 2 holds the byte 0xE9" in latin.get_data(as_text=True)


@pytest.mark.parametrize("filename, message", [
    (None, "Choose the CSV file of members."),
    ("members.xlsx", "Upload a .csv (or .txt) file."),
])
def test_upload_form_errors(client: FlaskClient, auth: AuthActions, world: dict[str, Any],
                            filename: str | None, message: str) -> None:
    auth.login("fac@example.org")
    data: dict[str, Any] = {"csrf_token": csrf_token(client, world["url"])}
    if filename is not None:
        data["members_csv"] = (io.BytesIO(MEMBERS.encode()), filename)
    response = multipart(client, world["url"], data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_oversized_upload_gets_a_readable_413(app: Flask, client: FlaskClient, auth: AuthActions,
                                              world: dict[str, Any]) -> None:
    auth.login("fac@example.org")
    big = b"name,email\n" + b"x" * app.config["MAX_CONTENT_LENGTH"]
    response = upload(client, world["url"], big)
    assert response.status_code == 413
    assert "larger than 2 MiB" in response.get_data(as_text=True)


def test_large_file_survives_the_round_trip(app: Flask, client: FlaskClient, auth: AuthActions,
                                            world: dict[str, Any]) -> None:
    """Over 500 kB of CSV, more than Werkzeug accepts in one form field: the preview sends it
    back in chunks, and every member arrives exactly once."""
    auth.login("fac@example.org")
    rows = "".join(f"Person {i},p{i}@example.org,{'O' * 110},{'D' * 110},\n" for i in range(2400))
    text = "name,email,organisation,department,team\n" + rows
    assert len(text) > 550_000
    preview = upload(client, world["url"], text.encode())
    assert preview.status_code == 200
    assert preview.get_data(as_text=True).count('<textarea name="members_text"') > 1
    result = confirm_like_a_browser(client, preview)
    assert result.status_code == 200, result.get_data(as_text=True)[:2000]
    assert count_rows(app) == (4 + 2400, 3 + 2400, 0)
