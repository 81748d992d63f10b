"""Bulk onboarding: a facilitator imports members and existing ties from CSV."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import Field

from circles.communities.community import community_for_facilitator
from circles.extensions import current_member, db, limiter
from circles.models import Community
from circles.onboarding import roster
from circles.security_log import security_event
from circles.views.forms import PlainForm, render_form, submit

bp = Blueprint("onboarding", __name__)

CSV_ONLY = FileAllowed(["csv", "txt"], _l("Upload a .csv (or .txt) file."))
ACCEPT = {"accept": ".csv,.txt,text/csv"}


class UploadForm(PlainForm):
    members_csv = FileField(
        _l("Members (CSV)"), validators=[FileRequired(_l("Choose the CSV file of members.")), CSV_ONLY],
        render_kw=ACCEPT,
        description=(_l("Columns: name, email, and optionally organisation, department, team, "
                     "strengths, questions, learning goals, availability, time zone.")),
    )
    ties_csv = FileField(
        _l("Existing ties (CSV, optional)"), validators=[CSV_ONLY], render_kw=ACCEPT,
        description=_l("Two columns of e-mail addresses: email_a, email_b (or person, knows)."),
    )


class ChunkedText(Field):
    """Text carried back by the browser in several hidden textareas of one name: Werkzeug
    refuses any single form field over MAX_FORM_MEMORY_SIZE (500 kB by default), and the
    CSV of a few thousand members can be larger."""

    CHUNK = 100_000  # characters, so at most 400 kB of UTF-8 per field

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = "".join(str(value) for value in valuelist)

    def chunks(self) -> list[str]:
        """Whole lines per chunk, so the browser's CRLF rewriting never splits a line end."""
        chunks, current = [], ""
        for line in (self.data or "").splitlines(keepends=True):
            if current and len(current) + len(line) > self.CHUNK:
                chunks.append(current)
                current = ""
            current += line
        return [*chunks, current] if current else chunks


class ConfirmForm(PlainForm):
    members_text = ChunkedText()
    ties_text = ChunkedText()


def _community(community_id: int) -> Community:
    return community_for_facilitator(db(), current_member(), community_id)


def _read(upload: FileStorage | None) -> bytes | None:
    return upload.read() if upload is not None else None


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """Explain an upload over the size limit instead of a bare 413."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
    message = _("That upload is larger than %(limit)s MiB, the most Circles accepts at once. "
                "Split the file (at most 5,000 members each) and upload the parts one after "
                "another.", limit=format(limit, "g"))
    return render_template("error.html", status=413, message=message), 413


def _facilitator_key() -> str:
    """Imports are limited per facilitator, wherever they connect from."""
    return f"import:{current_user.id}" if current_user.is_authenticated else "import:anonymous"


def _import_limit() -> str:
    return str(current_app.config["IMPORT_RATE_LIMIT"])


@bp.route("/communities/<int:community_id>/import", methods=["GET", "POST"])
@login_required
@limiter.limit(_import_limit, methods=["POST"], key_func=_facilitator_key)
def import_members(community_id: int) -> ResponseReturnValue:
    """Upload the members (and ties) CSV and see the row-by-row report; nothing is saved yet."""
    community = _community(community_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_form("onboarding/upload.html", form, community=community)
    preview = roster.check_import(db(), community, _read(form.members_csv.data) or b"",
                                      _read(form.ties_csv.data))
    confirm = ConfirmForm(formdata=None, members_text=preview.members.text,
                          ties_text=preview.ties.text if preview.ties else "")
    return _preview_page(community, preview, confirm)


def _preview_page(community: Community, preview: roster.ImportPreview,
                  confirm: ConfirmForm) -> ResponseReturnValue:
    page = render_template("onboarding/preview.html", community=community, preview=preview,
                           confirm=confirm, upload=UploadForm(formdata=None))
    return page, 200 if preview.ok and not confirm.form_errors else 422


@bp.post("/communities/<int:community_id>/import/confirm")
@login_required
@limiter.limit(_import_limit, key_func=_facilitator_key)
def confirm_import(community_id: int) -> ResponseReturnValue:
    """Check the previewed files again and import them in one transaction, or show why not."""
    community = _community(community_id)
    form = ConfirmForm()
    members, ties = form.members_text.data or "", form.ties_text.data or None
    result = submit(form, lambda: roster.import_members(db(), community, members, ties,
                                                        invited_by=current_user.id))
    if result is None:
        preview = roster.check_import(db(), community, members, ties)
        return _preview_page(community, preview, form)
    if result.new_accounts:
        security_event("user_created", level=logging.INFO, count=len(result.new_accounts),
                       by=current_user.id, community=community.id, how="import")
    return render_template("onboarding/result.html", community=community, result=result,
                           links=_links(community))


def _links(community: Community) -> list[tuple[str, str]]:
    return [(email, url_for("auth.claim", token=token, _external=True))
            for email, token in roster.pending_links(db(), community.id)]


def _spreadsheet_safe(value: str) -> str:
    """A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/communities/<int:community_id>/import/claim-links.csv")
@login_required
def claim_links(community_id: int) -> ResponseReturnValue:
    """Download the personal links of everyone imported who has not answered yet: new
    accounts to claim and invitations to accept, alike."""
    community = _community(community_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "link"])
    for email, link in _links(community):
        writer.writerow([_spreadsheet_safe(email), link])
    return Response(
        "\ufeff" + out.getvalue(),  # the BOM makes Excel read the file as UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="claim-links-{community.id}.csv"',
            "Cache-Control": "no-store",  # each link signs someone in: keep it out of caches
        },
    )
