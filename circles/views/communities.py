"""Communities: create, join by invite, roster, vocabulary."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from circles.communities import circle
from circles.communities import community as communities
from circles.errors import Conflict, InvalidInput, NotFound
from circles.extensions import current_member, db
from circles.languages import LANGUAGES, term
from circles.members import topics
from circles.models import Community, Membership
from circles.security_log import security_event
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("communities", __name__)


class CommunityForm(PlainForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the community a name."))],
                       description=_l("A programme or cohort, e.g. “Engineering peer circles 2025”."))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)],
                                description=_l("What the community is for; shown on the invite page."))


class LanguageForm(PlainForm):
    language = SelectField(
        _l("Default language"), validate_choice=False,
        choices=[SelectChoice("", "English")]
        + [SelectChoice(code, name) for code, name in LANGUAGES.items() if code != "en"],
        description=_l("For members who chose no language of their own, and for e-mails to them."))


class JoinForm(PlainForm):
    code = StringField(_l("Invite code or link"),
                       validators=[DataRequired(message=_l("Paste the invite code or link."))],
                       description=_l("The link looks like https://…/join/AbC123xyz."))


class RoleForm(PlainForm):
    role = StringField(_l("Role"))  # the domain checks it is one of ROLES


class TopicForm(PlainForm):
    label = StringField(_l("New topic"), validators=[DataRequired(message=_l("Name a topic."))])


class TypedTopicForm(PlainForm):
    """Map a topic members typed to a vocabulary topic, or adopt it as one."""

    key = StringField(validators=[DataRequired(message=_l("Choose a typed topic."))])
    topic_id = IntegerField(_l("Counts as"), validators=[Optional()])


def code_from(pasted: str) -> str:
    """The invite code inside whatever was pasted: a bare code or a full /join/<code> link."""
    text = pasted.strip()
    path = urlsplit(text).path if "/" in text else text
    if "/join/" in path:
        path = path.split("/join/", 1)[1]
    return path.strip("/ ")


@bp.route("/communities/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Start a community; its creator becomes its facilitator (if the site lets them)."""
    form = CommunityForm()
    policy = str(current_app.config["COMMUNITY_CREATORS"])
    refused = communities.may_create(current_member(), policy)
    if refused:
        return render_template("communities/new.html", form=form, refused=refused), 403
    community = submit(form, lambda: communities.create_community(
        db(), current_member(), name=form.name.data or "",
        description=form.description.data or "", policy=policy,
    ))
    if community is None:
        return render_form("communities/new.html", form)
    flash(_('%(name)s is ready. Share the invite link to bring members in.', name=community.name), "ok")
    return redirect(url_for("communities.show", community_id=community.id))


def _page_arg(source: Mapping[str, str]) -> int:
    """The roster page asked for (?page= or a form's page field); 1 when absent or not a number."""
    value = source.get("page", "")
    return int(value) if value.isdigit() else 1


def _show(community: Community, membership: Membership, status: int = 200,
          **extra: Any) -> ResponseReturnValue:
    """Render a community page for a member, with facilitator tools when they facilitate.

    The roster comes a page at a time (?page=); a facilitator changes one member's role on
    that member's row, opened by its "Change role" link (?role=<user id>)."""
    facilitating = membership.role == "facilitator"
    page = communities.roster_page(db(), community.id, extra.pop("page", None)
                                   or _page_arg(request.args))
    role_errors = extra.pop("role_errors", {})
    editing = next(iter(role_errors), None) or request.args.get("role", type=int)
    context: dict[str, Any] = {
        "community": community,
        "membership": membership,
        "facilitating": facilitating,
        "roster": page,
        "editing_role": editing if facilitating else None,
        "my_circles": [c for c in circle.circles_of(db(), current_user.id)
                       if c.community_id == community.id],
    }
    if facilitating:
        context.update(
            all_circles=circle.circles_in(db(), community.id),
            invite_url=url_for("communities.join", code=community.invite_code, _external=True),
            topic_form=extra.pop("topic_form", None) or TopicForm(formdata=None),
            language_form=extra.pop("language_form", None)
            or LanguageForm(formdata=None, data={"language": community.language}),
            typed_topics=topics.typed_topics(db(), community.id),
            typed_errors=extra.pop("typed_errors", {}),
            role_errors=role_errors,
        )
    return render_template("communities/show.html", **context, **extra), status


@bp.get("/communities/<int:community_id>")
@login_required
def show(community_id: int) -> ResponseReturnValue:
    """A community's page: its members and your circles; facilitators also run it from here."""
    community, membership = communities.community_for_member(db(), current_member(), community_id)
    return _show(community, membership)


def _facilitated(community_id: int) -> tuple[Community, Membership]:
    community = communities.community_for_facilitator(db(), current_member(), community_id)
    membership = communities.membership_of(db(), current_user.id, community_id)
    assert membership is not None
    return community, membership


@bp.post("/communities/<int:community_id>/members/<int:user_id>/role")
@login_required
def set_role(community_id: int, user_id: int) -> ResponseReturnValue:
    """A facilitator makes a member a facilitator or back; one facilitator always remains."""
    community, membership = _facilitated(community_id)
    form = RoleForm()
    changed = submit(form, lambda: communities.set_role(
        db(), community, user_id, form.role.data or ""))
    page = _page_arg(request.form)
    if changed is None:
        problems = [*form.role.errors, *form.form_errors] or [_("Choose member or facilitator.")]
        return _show(community, membership, 422, role_errors={user_id: problems}, page=page)
    security_event("authz_change", level=logging.INFO, target=changed.user_id,
                   community=community.id, role=term(changed.role))
    flash(_('%(display_name)s is now a %(role)s.', display_name=changed.user.display_name, role=term(changed.role)), "ok")
    return redirect(url_for("communities.show", community_id=community.id,
                            page=page if page > 1 else None, _anchor=f"member-{user_id}"))


@bp.post("/communities/<int:community_id>/invite")
@login_required
def new_invite(community_id: int) -> ResponseReturnValue:
    """A facilitator replaces the invite link; the old one stops working at once."""
    community, _membership = _facilitated(community_id)
    communities.regenerate_invite(db(), community)
    db().commit()
    flash(_("New invite link made; the old link no longer works."), "ok")
    return redirect(url_for("communities.show", community_id=community.id))


@bp.post("/communities/<int:community_id>/language")
@login_required
def set_language(community_id: int) -> ResponseReturnValue:
    """A facilitator sets the community's default language."""
    community, membership = _facilitated(community_id)
    form = LanguageForm()
    saved = submit(form, lambda: communities.set_language(db(), community,
                                                          form.language.data or ""))
    if saved is None:
        return _show(community, membership, 422, language_form=form)
    flash(_("The community's default language is saved."), "ok")
    return redirect(url_for("communities.show", community_id=community.id))


@bp.post("/communities/<int:community_id>/topics")
@login_required
def add_topic(community_id: int) -> ResponseReturnValue:
    """A facilitator adds a topic to the community's vocabulary."""
    community, membership = _facilitated(community_id)
    form = TopicForm()
    topic = submit(form, lambda: topics.add_topic(db(), community.id, form.label.data or ""))
    if topic is None:
        return _show(community, membership, 422, topic_form=form)
    flash(_('“%(label)s” is in the vocabulary.', label=topic.label), "ok")
    return redirect(url_for("communities.show", community_id=community.id))


@bp.post("/communities/<int:community_id>/topics/typed/map")
@login_required
def map_typed_topic(community_id: int) -> ResponseReturnValue:
    """A facilitator counts a topic members typed as one of the vocabulary's, from now on."""
    return _typed_change(community_id, lambda community, form: topics.map_topic(
        db(), community.id, form.key.data or "", form.topic_id.data or 0),
        lambda alias: _("Members' “%(key)s” now counts as “%(label)s”, also in formation.", key=alias.key, label=alias.topic.label))


@bp.post("/communities/<int:community_id>/topics/typed/adopt")
@login_required
def adopt_typed_topic(community_id: int) -> ResponseReturnValue:
    """A facilitator adds a topic members typed to the vocabulary as it stands."""
    return _typed_change(community_id, lambda community, form: topics.adopt_topic(
        db(), community.id, form.key.data or ""),
        lambda topic: _('“%(label)s” is in the vocabulary.', label=topic.label))


def _typed_change(community_id: int, change: Callable[[Community, TypedTopicForm], Any],
                  said: Callable[[Any], str]) -> ResponseReturnValue:
    """Map or adopt a typed topic; its problems go next to that topic's row."""
    community, membership = _facilitated(community_id)
    form = TypedTopicForm()
    done = submit(form, lambda: change(community, form))
    if done is None:
        return _show(community, membership, 422, typed_errors={
            form.key.data: [e for f in form for e in f.errors] or [_("Choose a topic.")]})
    flash(said(done), "ok")
    return redirect(url_for("communities.show", community_id=community.id, _anchor="typed"))


def _join_pasted(form: JoinForm) -> Community:
    """Resolve a pasted code; an unknown one is a problem with the field, not a 404 page."""
    try:
        return communities.community_by_invite(db(), code_from(form.code.data or ""))
    except NotFound as exc:
        raise InvalidInput.field(
            "code", _("No community has that invite code. Check the link, or ask for a new one.")
        ) from exc


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join_form() -> ResponseReturnValue:
    """Paste an invite code or link to join a community."""
    form = JoinForm()
    community = submit(form, lambda: _join_pasted(form))
    if community is None:
        return render_form("communities/join_form.html", form)
    return _join(community.invite_code)


@bp.get("/join/<code>")
def join(code: str) -> ResponseReturnValue:
    """The invite page: what the community is and a button to join (or sign up first)."""
    community = communities.community_by_invite(db(), code)
    already = current_user.is_authenticated and communities.membership_of(
        db(), current_user.id, community.id) is not None
    return render_template("communities/join.html", community=community, code=code,
                           already=already)


@bp.post("/join/<code>")
@login_required
def join_post(code: str) -> ResponseReturnValue:
    """Join the community this invite belongs to (the CSRF token is checked app-wide),
    with its code of conduct accepted when it has one."""
    return _join(code, accepted=request.form.get("accept_conduct") == "y")


def _join(code: str, *, accepted: bool = False) -> ResponseReturnValue:
    community = communities.community_by_invite(db(), code)
    if not current_member().email_verified:
        flash(communities.verify_first(current_member().email), "info")
        return redirect(url_for("communities.join", code=code))
    if community.conduct and not accepted and request.endpoint != "communities.join_post":
        return redirect(url_for("communities.join", code=code))  # read it before joining
    try:
        communities.join_by_invite(db(), current_member(), code, accepted_conduct=accepted)
        db().commit()
        flash(_('Welcome to %(name)s! Your facilitator will place you in a circle.', name=community.name), "ok")
    except InvalidInput as exc:  # the code of conduct not accepted: the page says so
        db().rollback()
        return render_template("communities/join.html", community=community, code=code,
                               already=False,
                               conduct_error=" ".join(exc.errors.values())), 422
    except Conflict as exc:  # already a member: say so kindly and take them there
        db().rollback()
        flash(exc.message, "info")
    return redirect(url_for("communities.show", community_id=community.id))
