"""My network: the member's own developmental network page, its data, exports and the people
outside Circles they add; and the facilitator's aggregate view of a community's widening.

There is no URL taking another member's id: every member route reads the logged-in member.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import (
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from circles.communities import community as communities
from circles.extensions import current_member, db
from circles.models.network import ExternalContact
from circles.network import community as network_community
from circles.network import contacts as external_contacts
from circles.network import ego
from circles.views.forms import PlainForm, submit

bp = Blueprint("network", __name__)

CONTEXTS = [SelectChoice(value, label) for value, label in (
    ("employer", _l("My employer")), ("former_employer", _l("A former employer")),
    ("school", _l("School or university")), ("community", _l("A community I belong to")),
    ("professional_association", _l("A professional association")), ("other", _l("Somewhere else")),
)]
SUPPORT = [SelectChoice(value, label) for value, label in (
    ("career", _l("Career help (advice, sponsorship, opening doors)")),
    ("psychosocial", _l("Personal support (confidence, friendship, counsel)")),
    ("role_model", _l("A role model")),
)]

class ExternalContactForm(PlainForm):
    """Someone outside Circles the member turns to; the domain checks every rule again."""

    name = StringField(_l("Name"), validators=[
        DataRequired(message=_l("Give their name (or a nickname only you will see).")),
        Length(max=120, message=_l("Keep the name to 120 characters."))])
    context = SelectField(_l("Where you know them from"), choices=CONTEXTS, validate_choice=False)
    context_name = StringField(_l("Which one"), validators=[
        Length(max=120, message=_l("Keep this to 120 characters."))],
        description=_l("e.g. “Initech” or “Women in Data Berlin”."))
    support = SelectMultipleField(
        _l("What they give you"), choices=SUPPORT, validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    note = TextAreaField(_l("Note for yourself"), validators=[
        Length(max=500, message=_l("Keep the note to 500 characters."))])

    @classmethod
    def of(cls, contact: ExternalContact) -> ExternalContactForm:
        """An edit form showing ``contact`` as it is, with ids unique on the page."""
        return cls(formdata=None, prefix=f"c{contact.id}", name=contact.name,
                   context=contact.context, context_name=contact.context_name,
                   support=list(contact.support), note=contact.note)

    def values(self) -> dict[str, Any]:
        return {"name": self.name.data or "", "context": self.context.data or "",
                "context_name": self.context_name.data or "",
                "support": list(self.support.data or []), "note": self.note.data or ""}



def _page(form: ExternalContactForm | None = None,
          editing: int | None = None) -> ResponseReturnValue:
    """The network page; a submitted form keeps what was typed and its errors (422)."""
    me = current_member()
    contacts = external_contacts.external_contacts(db(), me.id)
    context: dict[str, Any] = {
        "contacts": contacts,
        "add_form": form if form is not None and editing is None else ExternalContactForm(
            formdata=None),
        "edit_forms": {c.id: form if form is not None and editing == c.id
                       else ExternalContactForm.of(c) for c in contacts},
        "editing": editing,
        "support_kinds": external_contacts.SUPPORT_KINDS,
        "system": external_contacts.system,
    }
    status = 422 if form is not None and (form.errors or form.form_errors) else 200
    return render_template("network/show.html", **context), status


@bp.get("/network")
@login_required
def show() -> ResponseReturnValue:
    """The member's own network page: graph, growth, metrics, introductions, outside contacts."""
    return _page()


@bp.get("/network/data.json")
@login_required
def data() -> ResponseReturnValue:
    """Everything the page draws, for the logged-in member only."""
    second_ring = request.args.get("second_ring") == "1"
    response = jsonify(ego.my_network(db(), current_member().id, second_ring=second_ring))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


@bp.get("/network/export.graphml")
@login_required
def export_graphml() -> ResponseReturnValue:
    """My network as GraphML, for Gephi, yEd or networkx."""
    body = ego.export_graphml(ego.ego_network(db(), current_member().id))
    return _download(body, "application/graphml+xml", "my-network.graphml")


@bp.get("/network/export.json")
@login_required
def export_json() -> ResponseReturnValue:
    """My network as JSON, with the history of each tie."""
    body = json.dumps(ego.export_json(db(), current_member().id), indent=2, default=str)
    return _download(body.encode(), "application/json", "my-network.json")


@bp.post("/network/contacts")
@login_required
def add_contact() -> ResponseReturnValue:
    """Add someone outside Circles who supports me; only I ever see them."""
    form = ExternalContactForm()
    contact = submit(form, lambda: external_contacts.add_external(db(), current_member(), **form.values()))
    if contact is None:
        return _page(form)
    flash(_('Added %(name)s to your network.', name=contact.name), "ok")
    return redirect(url_for("network.show", _anchor="outside"))


@bp.post("/network/contacts/<int:contact_id>")
@login_required
def update_contact(contact_id: int) -> ResponseReturnValue:
    """Change one of my outside contacts (404 when it is not mine)."""
    external_contacts.external_contact(db(), current_member(), contact_id)  # not mine: 404 before any form
    form = ExternalContactForm(prefix=f"c{contact_id}")
    contact = submit(form, lambda: external_contacts.update_external(
        db(), current_member(), contact_id, **form.values()))
    if contact is None:
        return _page(form, editing=contact_id)
    flash(_('Saved %(name)s.', name=contact.name), "ok")
    return redirect(url_for("network.show", _anchor="outside"))


@bp.post("/network/contacts/<int:contact_id>/delete")
@login_required
def remove_contact(contact_id: int) -> ResponseReturnValue:
    """Remove one of my outside contacts (404 when it is not mine)."""
    external_contacts.remove_external(db(), current_member(), contact_id)
    db().commit()
    flash(_("Removed that contact from your network."), "ok")
    return redirect(url_for("network.show", _anchor="outside"))


@bp.get("/communities/<int:community_id>/network")
@login_required
def community(community_id: int) -> ResponseReturnValue:
    """How the community's networks widen, round by round: aggregates only, for facilitators."""
    place = communities.community_for_facilitator(db(), current_member(), community_id)
    report = network_community.community_report(db(), place.id)
    chart = [{"label": r["label"], "mean_new_ties": r["new_ties"]["mean"],
              "p10_new_ties": r["new_ties"]["p10"],
              "mean_range_growth": r["range_growth"]["mean"],
              "ties_created": r["ties_created"], "cross_org_ties": r["cross_org_ties"]}
             for r in report["rounds"] if not r["suppressed"]]
    return render_template("network/community.html", community=place, report=report,
                           chart=chart)
