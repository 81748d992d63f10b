"""The front page: a welcome for visitors, a dashboard for members."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from circles.communities import circle, invitations
from circles.communities import community as communities
from circles.demo import community as demo
from circles.extensions import current_member, db

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Welcome visitors (with demo logins when the demo is loaded); show members their circles."""
    if not current_user.is_authenticated:
        return render_template("home/welcome.html", demo_logins=demo.demo_logins(db()))
    return render_template(
        "home/dashboard.html",
        memberships=communities.communities_of(db(), current_user.id),
        my_circles=circle.circles_of(db(), current_user.id),
        invitations=invitations.pending_for(db(), current_member()),
    )


@bp.get("/my-circles")
@login_required
def my_circles() -> ResponseReturnValue:
    """The dashboard's circle list alone, which the page fetches again when the member is
    placed in a new circle (static/live.js), so it never shows a circle that closed."""
    return render_template("home/_circles.html",
                           my_circles=circle.circles_of(db(), current_user.id))
