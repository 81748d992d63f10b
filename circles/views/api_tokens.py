"""Settings → personal access tokens for the JSON API: create one (shown once), revoke one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length

from circles.api import tokens
from circles.extensions import current_member, db
from circles.models import utcnow
from circles.security_log import security_event
from circles.views.forms import PlainForm, submit

bp = Blueprint("api_tokens", __name__)

LIFETIMES = [SelectChoice("30", _l("30 days")), SelectChoice("7", _l("7 days")),
             SelectChoice("90", _l("90 days")), SelectChoice("365", _l("a year")),
             SelectChoice("never", _l("never expires"))]


class TokenForm(PlainForm):
    name = StringField(_l("Name"), validators=[Length(max=tokens.NAME_MAX)],
                       description=_l("What uses it, e.g. “calendar sync” — so you know which "
                                   "to revoke."))
    lifetime = SelectField(_l("Expires after"), choices=LIFETIMES, default="30")


class RevokeForm(PlainForm):
    pass



def _page(form: TokenForm, created: str | None = None) -> ResponseReturnValue:
    """The tokens page; never cached, since it may carry a new token's secret."""
    now = utcnow()
    items = [(t, "revoked" if t.revoked_at else "active" if tokens.is_live(t, now)
              else "expired") for t in tokens.tokens_of(db(), current_member().id)]
    status = 422 if form.errors or form.form_errors else 200
    body = render_template("api_tokens/index.html", form=form, created=created, items=items)
    return body, status, {"Cache-Control": "no-store"}


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    """The member's API tokens; a new token's secret is shown on this answer only."""
    form = TokenForm()
    lifetime = form.lifetime.data
    made = submit(form, lambda: tokens.create_token(
        db(), current_member(), name=form.name.data or "", now=utcnow(),
        expires_in_days=None if lifetime == "never" else int(lifetime or 30)))
    if made is None:
        return _page(form)
    token, plaintext = made
    security_event("authn_token_created", token_id=token.id)
    return _page(TokenForm(formdata=None), created=plaintext)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    """Revoke one of the member's tokens: it stops working at once."""
    form = RevokeForm()
    if form.validate_on_submit():
        token = tokens.revoke_token(db(), current_member(), token_id, now=utcnow())
        db().commit()
        security_event("authn_token_revoked", token_id=token.id)
        flash(_('“%(name)s” is revoked.', name=token.name), "ok")
    return redirect(url_for("api_tokens.index"))
