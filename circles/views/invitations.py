"""Invitations into a community: the invited member reads who invites them, then accepts
or declines. Anyone else gets "not found", whatever the link."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from circles.communities import invitations
from circles.errors import Conflict, InvalidInput
from circles.extensions import current_member, db
from circles.security_log import security_event

bp = Blueprint("invitations", __name__)


@bp.get("/invitations/<token>")
@login_required
def show(token: str) -> ResponseReturnValue:
    """The invitation, for the invited member only."""
    invitation = invitations.by_token(db(), token, current_member())
    return render_template("communities/invitation.html", invitation=invitation,
                           community=invitation.community, token=token)


@bp.post("/invitations/<token>/<any(accept, decline):choice>")
@login_required
def answer(token: str, choice: str) -> ResponseReturnValue:
    """Accept (become a member) or decline; either is final for this invitation."""
    me = current_member()
    invitation = invitations.by_token(db(), token, me)
    if not FlaskForm().validate_on_submit():  # the CSRF token is checked app-wide as well
        return redirect(url_for(".show", token=token))
    try:
        community = invitations.answer(db(), invitation, me, accept=choice == "accept",
                                       accepted_conduct=request.form.get("accept_conduct") == "y")
        db().commit()
    except Conflict as exc:
        db().rollback()
        flash(exc.message, "info")
        return redirect(url_for(".show", token=token))
    except InvalidInput as exc:  # the code of conduct not accepted: the page says so
        db().rollback()
        return render_template("communities/invitation.html", invitation=invitation,
                               community=invitation.community, token=token,
                               conduct_error=" ".join(exc.errors.values())), 422
    security_event("community_invitation_" + choice + "ed", level=logging.INFO, user=me.id,
                   community=community.id)
    if choice == "decline":
        flash(_('You declined the invitation to %(name)s. Nothing was shared.', name=community.name), "ok")
        return redirect(url_for("home.index"))
    flash(_('Welcome to %(name)s! Your facilitator will place you in a circle.', name=community.name), "ok")
    return redirect(url_for("communities.show", community_id=community.id))
