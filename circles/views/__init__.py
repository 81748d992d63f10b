"""HTTP edge: blueprints, the login loader, error pages and the date filter, registered in
one place."""

from __future__ import annotations

from flask import Flask

from circles.extensions import db, login_manager
from circles.members import accounts
from circles.models import User
from circles.security_log import security_event
from circles.views import (
    account,
    admin,
    api_tokens,
    auth,
    circle_settings,
    circles,
    communities,
    dates,
    ending,
    error_pages,
    formation,
    goals,
    home,
    introductions,
    live_room,
    network,
    notifications,
    onboarding,
    profile,
    pulse,
    sessions,
    vendor,
)


def load_user(token: str) -> User | None:
    """The member a login cookie stands for; a revoked or forged one is logged and refused."""
    user = accounts.load_login(db(), token)
    if user is None:  # a revoked (logged-out, replaced) or forged login cookie
        security_event("session_use_after_expire",
                       user=accounts.login_owner(db(), token) or "unknown")
    return user


def init_app(app: Flask) -> None:
    for module in (account, admin, api_tokens, auth, circle_settings, circles, communities,
                   ending, formation, goals, home, introductions, live_room, network,
                   notifications, onboarding, profile, pulse, sessions, vendor):
        app.register_blueprint(module.bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    error_pages.init_app(app)
    dates.init_app(app)
