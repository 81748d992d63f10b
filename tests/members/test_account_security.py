"""Accounts people can trust (issue 16): verified addresses, password reset and change,
logins that end (listed, revoked, expiring), disabled accounts that stay ended, and
optional two-factor log-in. Each test names the promise in docs/security.md it proves."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.api.tokens import create_token
from circles.extensions import orm
from circles.members import credentials, two_factor
from circles.models import ApiToken, LoginSession, OutboxMessage, User, as_utc, utcnow
from tests.conftest import PASSWORD, AuthActions, outbox_link, post_form

NEW_PASSWORD = "a brand new passphrase"


def logged_in(app: Flask, email: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(email, password).status_code == 302
    return client


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def api_status(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def new_api_token(app: Flask, user: User) -> str:
    with app.app_context():
        _row, plain = create_token(orm.session, orm.session.get_one(User, user.id),
                                   name="script", expires_in_days=None, now=utcnow())
        orm.session.commit()
    return plain


def mails_to(app: Flask, to: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(orm.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to)
                                        .order_by(OutboxMessage.id)))
        orm.session.expunge_all()
    return rows


# --- e-mail that belongs to the person ---------------------------------------------------


def test_sign_up_sends_a_verification_link_and_the_link_verifies(
        app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    assert auth.signup(email="Nia@Example.org").status_code == 302
    with app.app_context():
        nia = orm.session.scalars(select(User).where(User.email == "nia@example.org")).one()
        assert nia.email_verified_at is None
    link = outbox_link(app, "nia@example.org", "/verify/")
    anonymous = app.test_client()  # the link works wherever it is opened
    assert anonymous.get(link).status_code == 200  # a button: a mail scanner verifies nothing
    with app.app_context():
        assert orm.session.get_one(User, nia.id).email_verified_at is None
    assert post_form(anonymous, link).status_code == 302
    with app.app_context():
        assert orm.session.get_one(User, nia.id).email_verified_at is not None


def test_a_forged_or_stale_verification_link_does_nothing(
        app: Flask, client: FlaskClient, auth: AuthActions, monkeypatch: pytest.MonkeyPatch) -> None:
    auth.signup(email="ola@example.org")
    link = outbox_link(app, "ola@example.org", "/verify/")
    assert client.get(link[:-3] + "xyz").status_code == 404
    later = time.time() + credentials.VERIFY_HOURS * 3600 + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    expired = client.get(link)
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)
    with app.app_context():
        assert orm.session.scalars(select(User.email_verified_at)
                                   .where(User.email == "ola@example.org")).one() is None


def test_an_unverified_account_cannot_join_or_start_a_community(
        app: Flask, client: FlaskClient, auth: AuthActions, make_user: Any,
        make_community: Any) -> None:
    lead = make_user()
    community = make_community(lead, name="Cohort")
    auth.signup(email="eve@example.org")
    refused = post_form(client, f"/join/{community.invite_code}")
    assert refused.status_code == 302
    with app.app_context():
        eve = orm.session.scalars(select(User).where(User.email == "eve@example.org")).one()
        from circles.communities.community import membership_of
        assert membership_of(orm.session, eve.id, community.id) is None
    page = client.get("/communities/new")
    assert page.status_code == 403 and "Confirm your e-mail address first" in page.get_data(
        as_text=True)
    posted = client.post("/communities/new", data={"name": "Mine"})
    assert posted.status_code in (400, 403)


def test_only_site_administrators_start_communities_when_the_setting_says_so(
        app: Flask, make_user: Any) -> None:
    app.config["COMMUNITY_CREATORS"] = "admins"
    make_user(email="ver@example.org")
    client = logged_in(app, "ver@example.org")
    page = client.get("/communities/new")
    assert page.status_code == 403 and "only site administrators" in page.get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["admin", "grant", "ver@example.org"]).exit_code == 0
    made = post_form(client, "/communities/new", {"name": "Admin's cohort", "description": ""})
    assert made.status_code == 302


def test_changing_the_address_verifies_the_new_one_and_tells_the_old(
        app: Flask, make_user: Any) -> None:
    make_user(email="pia@example.org")
    client = logged_in(app, "pia@example.org")
    wrong = post_form(client, "/account/email", {"email": "pia@new.example", "password": "nope"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    asked = post_form(client, "/account/email", {"email": "Pia@New.example",
                                                 "password": PASSWORD})
    assert asked.status_code == 302
    assert [m.subject for m in mails_to(app, "pia@example.org")] == [
        "Circles: a change of your e-mail address was asked for"]
    link = outbox_link(app, "pia@new.example", "/account/email/")
    assert post_form(client, link).status_code == 302
    with app.app_context():
        pia = orm.session.scalars(select(User).where(User.email == "pia@new.example")).one()
        assert pia.email_verified_at is not None
    assert "Circles: your e-mail address was changed" in [
        m.subject for m in mails_to(app, "pia@example.org")]
    assert client.get(link).status_code == 410  # used once, gone
    assert AuthActions(app.test_client()).login("pia@new.example").status_code == 302


def test_a_new_address_taken_meanwhile_is_refused(app: Flask, make_user: Any) -> None:
    make_user(email="ray@example.org")
    client = logged_in(app, "ray@example.org")
    post_form(client, "/account/email", {"email": "taken@example.org", "password": PASSWORD})
    make_user(email="taken@example.org")
    response = post_form(client, outbox_link(app, "taken@example.org", "/account/email/"))
    assert response.status_code == 410 and "Another account uses that address" in \
        response.get_data(as_text=True)


# --- password reset ------------------------------------------------------------------------


def test_forgot_password_answers_the_same_whether_or_not_the_address_has_an_account(
        app: Flask, make_user: Any) -> None:
    make_user(email="sam@example.org")
    answers = []
    for email in ("sam@example.org", "nobody@example.org"):
        client = app.test_client()
        response = post_form(client, "/forgot", {"email": email})
        answers.append((response.status_code, response.headers["Location"],
                        client.get("/login").get_data(as_text=True).count("If an account uses")))
    assert answers[0] == answers[1] == (302, "/login", 1)
    assert len(mails_to(app, "sam@example.org")) == 1 and mails_to(app, "nobody@example.org") == []


def test_reset_links_are_limited_per_address(app: Flask, make_user: Any) -> None:
    make_user(email="ted@example.org")
    statuses = [post_form(app.test_client(), "/forgot", {"email": "ted@example.org"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(mails_to(app, "ted@example.org")) == 3


def test_reset_sets_a_new_password_once_and_ends_every_other_login(
        app: Flask, make_user: Any) -> None:
    uma = make_user(email="uma@example.org")
    other = logged_in(app, "uma@example.org")
    token = new_api_token(app, uma)
    assert api_status(other, token) == 200
    post_form(app.test_client(), "/forgot", {"email": "uma@example.org"})
    link = outbox_link(app, "uma@example.org", "/reset/")
    fresh = app.test_client()
    short = post_form(fresh, link, {"password": "short"})
    assert short.status_code == 422
    assert post_form(fresh, link, {"password": NEW_PASSWORD}).status_code == 302
    assert is_logged_in(fresh) and not is_logged_in(other)
    assert api_status(other, token) == 401
    assert fresh.get(link).status_code == 410  # single use: the password it names is gone
    assert AuthActions(app.test_client()).login("uma@example.org").status_code == 422
    assert AuthActions(app.test_client()).login("uma@example.org", NEW_PASSWORD).status_code == 302


def test_a_reset_link_expires_after_an_hour(app: Flask, make_user: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(email="vic@example.org")
    post_form(app.test_client(), "/forgot", {"email": "vic@example.org"})
    link = outbox_link(app, "vic@example.org", "/reset/")
    later = time.time() + credentials.RESET_MINUTES * 60 + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert app.test_client().get(link).status_code == 410


# --- password change and logins ------------------------------------------------------------


def test_password_change_ends_other_logins_and_api_tokens_but_keeps_this_one(
        app: Flask, make_user: Any) -> None:
    wes = make_user(email="wes@example.org")
    here, there = logged_in(app, "wes@example.org"), logged_in(app, "wes@example.org")
    token = new_api_token(app, wes)
    wrong = post_form(here, "/account/password", {"current_password": "wrong one!",
                                                  "password": NEW_PASSWORD})
    assert wrong.status_code == 422 and is_logged_in(there)
    done = post_form(here, "/account/password", {"current_password": PASSWORD,
                                                 "password": NEW_PASSWORD})
    assert done.status_code == 302
    assert is_logged_in(here) and not is_logged_in(there)
    assert api_status(here, token) == 401


def test_where_you_are_logged_in_lists_and_ends_logins(app: Flask, make_user: Any) -> None:
    make_user(email="xia@example.org")
    make_user(email="yan@example.org")
    phone = app.test_client()
    phone.environ_base.update({"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone) Safari/604.1",
                               "REMOTE_ADDR": "203.0.113.9"})
    assert AuthActions(phone).login("xia@example.org").status_code == 302
    laptop = logged_in(app, "xia@example.org")
    page = laptop.get("/account/logins").get_data(as_text=True)
    assert "Safari on iPhone" in page and "203.0.113.9" in page and "(this browser)" in page
    ids = [int(i) for i in re.findall(r"/account/logins/(\d+)/end", page)]
    with app.app_context():
        phone_id = orm.session.scalar(select(LoginSession.id)
                                      .where(LoginSession.ip_address == "203.0.113.9"))
    assert phone_id in ids
    stranger = logged_in(app, "yan@example.org")
    assert post_form(stranger, f"/account/logins/{phone_id}/end", page="/").status_code == 404
    assert is_logged_in(phone)
    assert post_form(laptop, f"/account/logins/{phone_id}/end", page="/").status_code == 302
    assert not is_logged_in(phone) and is_logged_in(laptop)
    other = logged_in(app, "xia@example.org")
    assert post_form(laptop, "/account/logins/end-all", page="/").status_code == 302
    assert not is_logged_in(laptop) and not is_logged_in(other)


@pytest.mark.parametrize(("column", "days"), [("last_seen_at", 15), ("created_at", 91)])
def test_logins_expire_when_idle_or_too_old(app: Flask, make_user: Any, column: str,
                                            days: int) -> None:
    zoe = make_user(email="zoe@example.org")
    client = logged_in(app, "zoe@example.org")
    with app.app_context():
        login = orm.session.scalars(select(LoginSession).where(LoginSession.user_id == zoe.id)).one()
        old = utcnow() - timedelta(days=days)
        login.created_at = old if column == "created_at" else login.created_at
        login.last_seen_at = old if column == "last_seen_at" else utcnow()
        orm.session.commit()
    assert not is_logged_in(client)
    with app.app_context():
        assert orm.session.scalars(select(LoginSession.revoked_at)
                                   .where(LoginSession.user_id == zoe.id)).one() is not None


def test_last_seen_is_kept_without_a_write_on_every_request(app: Flask, make_user: Any) -> None:
    amy = make_user(email="amy@example.org")
    client = logged_in(app, "amy@example.org")
    with app.app_context():
        login = orm.session.scalars(select(LoginSession).where(LoginSession.user_id == amy.id)).one()
        login.last_seen_at = utcnow() - timedelta(hours=2)
        orm.session.commit()
    assert is_logged_in(client)
    with app.app_context():
        seen = orm.session.scalars(select(LoginSession.last_seen_at)
                                   .where(LoginSession.user_id == amy.id)).one()
        assert utcnow() - as_utc(seen) < timedelta(minutes=1)


def test_disabling_an_account_ends_its_logins_and_tokens_for_good(
        app: Flask, make_user: Any) -> None:
    ben = make_user(email="ben@example.org")
    make_user(email="root@example.org")
    app.test_cli_runner().invoke(args=["admin", "grant", "root@example.org"])
    member = logged_in(app, "ben@example.org")
    token = new_api_token(app, ben)
    admin = logged_in(app, "root@example.org")
    for action in ("disable", "enable"):
        assert post_form(admin, f"/admin/accounts/{ben.id}/{action}",
                         page="/admin/accounts").status_code == 302
    assert not is_logged_in(member)
    assert api_status(member, token) == 401
    with app.app_context():
        assert orm.session.scalar(select(func.count()).select_from(ApiToken).where(
            ApiToken.user_id == ben.id, ApiToken.revoked_at.is_(None))) == 0
    assert is_logged_in(logged_in(app, "ben@example.org"))  # a new login works again


# --- two-factor ----------------------------------------------------------------------------


def test_two_factor_asks_for_a_code_and_takes_each_recovery_code_once(
        app: Flask, make_user: Any) -> None:
    make_user(email="cai@example.org")
    client = logged_in(app, "cai@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page).group(1)  # type: ignore[union-attr]
    assert post_form(client, "/account/two-factor", {"code": "000000"}).status_code == 422
    moment = time.time()
    shown = post_form(client, "/account/two-factor", {"code": pyotp.TOTP(secret).at(moment)})
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", shown.get_data(as_text=True))
    assert len(codes) == 10

    browser = app.test_client()
    step = AuthActions(browser).login("cai@example.org")
    assert step.headers["Location"] == "/login/code" and not is_logged_in(browser)
    assert post_form(browser, "/login/code", {"code": "123456"}).status_code == 422
    assert not is_logged_in(browser)
    # The code that turned two-factor on is used up: the app's next one logs in.
    assert post_form(browser, "/login/code",
                     {"code": pyotp.TOTP(secret).at(moment)}).status_code == 422
    following = pyotp.TOTP(secret).at(moment + 30)
    assert post_form(browser, "/login/code", {"code": following}).status_code == 302
    assert is_logged_in(browser)

    for expected in (302, 422):  # a recovery code works once
        again = app.test_client()
        AuthActions(again).login("cai@example.org")
        assert post_form(again, "/login/code", {"code": codes[0].upper()}).status_code == expected


def test_an_app_code_logs_in_once_and_never_an_older_one_after_it(
        app: Flask, make_user: Any) -> None:
    """RFC 6238, 5.2: a code seen over a shoulder or in a log cannot be replayed within its
    30 s, nor can the code before it once a later one was taken."""
    eve = make_user(email="eve@example.org")
    secret = pyotp.random_base32()
    with app.app_context():
        orm.session.get_one(User, eve.id).totp_secret = secret
        orm.session.commit()
    totp, now = pyotp.TOTP(secret), time.time()

    def second_step(code: str) -> int:
        browser = app.test_client()
        AuthActions(browser).login("eve@example.org")
        return post_form(browser, "/login/code", {"code": code}).status_code

    assert second_step(totp.at(now)) == 302
    assert second_step(totp.at(now)) == 422  # the same code again: refused
    assert second_step(totp.at(now + 30)) == 302  # the next one (a clock a step ahead) works
    assert second_step(totp.at(now)) == 422  # and an older one never does again
    with app.app_context():
        assert orm.session.get_one(User, eve.id).totp_last_step == int(now // 30) + 1


def test_two_log_ins_racing_with_one_code_let_only_one_in(app: Flask, make_user: Any) -> None:
    """A code seen over a shoulder and typed at the same moment as its owner's: the first
    check holds the member's row until its log-in commits, the second waits for it and then
    finds the code used up (on PostgreSQL both used to read the old step and both got in)."""
    eve = make_user(email="eve@example.org")
    secret = pyotp.random_base32()
    with app.app_context():
        orm.session.get_one(User, eve.id).totp_secret = secret
        orm.session.commit()
        code = pyotp.TOTP(secret).now()
        first, second = Session(orm.engine), Session(orm.engine)
        outcome: list[bool] = []
        try:
            assert two_factor.check(first, first.get_one(User, eve.id), code)
            racer = threading.Thread(target=lambda: outcome.append(
                two_factor.check(second, second.get_one(User, eve.id), code)))
            racer.start()
            racer.join(0.5)  # without the held row the racer is through by now
            first.commit()
            racer.join(10)
            second.commit()
        finally:
            first.close()
            second.close()
    assert outcome == [False]


def test_the_code_must_follow_the_password(app: Flask, make_user: Any) -> None:
    dan = make_user(email="dan@example.org")
    with app.app_context():
        orm.session.get_one(User, dan.id).totp_secret = pyotp.random_base32()
        orm.session.commit()
    browser = app.test_client()
    assert browser.get("/login/code").headers["Location"] == "/login"  # no password given
    AuthActions(browser).login("dan@example.org")
    with browser.session_transaction() as session:
        pending = session["second_factor"]
        pending["at"] -= 301
        session["second_factor"] = pending
    assert browser.get("/login/code").headers["Location"] == "/login"


# --- crafted input at the login edge -------------------------------------------------------


@pytest.mark.parametrize("target", ["/\nSet-Cookie: x=1", "/ok%0d%0aSet-Cookie:%20x=1", "/\\evil.example",
                                    "//evil.example", "https://evil.example/"])
def test_a_crafted_next_goes_home_instead(app: Flask, make_user: Any, target: str) -> None:
    make_user(email="eli@example.org")
    client = app.test_client()
    response = post_form(client, "/login?next=" + target, {"email": "eli@example.org",
                                                          "password": PASSWORD},
                         page="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"
