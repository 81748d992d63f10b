"""HTTP edge: blueprints, the login loader, error pages and the date filter, registered in
one place."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import gettext as _

from circles.extensions import db, login_manager
from circles.members import logins
from circles.models import User
from circles.security_log import security_event
from circles.views import (
    account,
    account_security,
    admin,
    api_tokens,
    auth,
    circle_settings,
    circles,
    communities,
    dates,
    email_links,
    ending,
    error_pages,
    formation,
    goals,
    home,
    introductions,
    invitations,
    live_room,
    meetings,
    network,
    notifications,
    onboarding,
    profile,
    pulse,
    renewal,
    safety,
    sessions,
    vendor,
)


def load_user(token: str) -> User | None:
    """The member a login cookie stands for; a revoked or forged one is logged and refused."""
    config = current_app.config
    user = logins.load_login(db(), token, lifetime=logins.Lifetime.days(
        float(config["LOGIN_IDLE_DAYS"]), float(config["LOGIN_MAX_DAYS"])))
    if db().info.pop(logins.TOUCHED, False):  # last seen noted, or an expired login ended
        db().commit()
    if user is None:  # a revoked (logged-out, replaced, expired) or forged login cookie
        security_event("session_use_after_expire",
                       user=logins.login_owner(db(), token) or "unknown")
    return user


def init_app(app: Flask) -> None:
    for module in (account, account_security, admin, api_tokens, auth, circle_settings,
                   circles, communities, email_links, ending, formation, goals, home,
                   introductions, invitations, live_room, meetings, network, notifications, onboarding, profile,
                   pulse, renewal, safety, sessions, vendor):
        app.register_blueprint(module.bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _("Log in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    error_pages.init_app(app)
    dates.init_app(app)
