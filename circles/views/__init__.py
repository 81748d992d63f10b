"""HTTP edge: blueprints, the login loader and error pages, registered in one place."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from circles.api import errors
from circles.errors import CirclesError, NotFound
from circles.extensions import db, login_manager, orm
from circles.members import accounts
from circles.models import User
from circles.security_log import security_event


def init_app(app: Flask) -> None:
    from circles.views import (
        account,
        admin,
        api_tokens,
        auth,
        circle_settings,
        circles,
        communities,
        ending,
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

    for module in (account, admin, api_tokens, auth, circle_settings, circles, communities, ending, formation, goals, home, introductions,
                   live_room, network, notifications, onboarding, profile, pulse, sessions, vendor):
        app.register_blueprint(module.bp)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        user = accounts.load_login(db(), token)
        if user is None:  # a revoked (logged-out, replaced) or forged login cookie
            security_event("session_use_after_expire",
                           user=accounts.login_owner(db(), token) or "unknown")
        return user

    @app.errorhandler(CirclesError)
    def domain_error(exc: CirclesError) -> ResponseReturnValue:
        orm.session.rollback()
        if isinstance(exc, NotFound):  # missing, or hidden from this caller: we cannot tell
            security_event("authz_fail")
        return _error_page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        security_event("input_validation_fail", field="csrf_token", reason=exc.description)
        return _error_page(400, f"The form had expired or was not sent from this site "
                                f"({exc.description}). Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/"):  # a URL no API route could parse: still JSON
            return errors.http_error(exc)
        return _error_page(exc.code or 500, exc.description or exc.name)


def _error_page(status: int, message: str) -> ResponseReturnValue:
    if request.accept_mimetypes.best == "application/json":
        return {"ok": False, "error": message}, status
    return render_template("error.html", status=status, message=message), status
