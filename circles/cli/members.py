"""``flask members import``: the CSV onboarding of the "Import members" page, from the shell —
the same row-by-row report, the same all-or-nothing import, and the claim links written to a
file of the operator's choosing (never printed: each one signs someone in)."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from circles.errors import CirclesError
from circles.extensions import db
from circles.models import Community
from circles.onboarding import roster

members_cli = AppGroup("members", help=_l("Members of a community."))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(_("Cannot read %(path)s: %(error)s.", path=path,
                                       error=exc.strerror)) from exc


def _report(preview: roster.ImportPreview) -> None:
    """Every problem with its line, or what importing would do."""
    for problem in preview.members.problems:
        click.echo(_("members file: %(problem)s", problem=problem))
    if preview.ties is not None:
        for problem in preview.ties.problems:
            click.echo(_("ties file: %(problem)s", problem=problem))
    if not preview.ok:
        return
    rows = preview.members.rows
    new = sum(row.status == roster.OK for row in rows)
    already = sum(row.status == roster.ALREADY_MEMBER for row in rows)
    profiles = sum(row.status == roster.OK and not row.profile.empty for row in rows)
    ties = len(preview.ties.rows) if preview.ties else 0
    click.echo(_("%(rows)s rows: %(new)s to add or invite (%(profiles)s with a profile, used "
                 "for new accounts), %(already)s already members; %(ties)s ties from the ties "
                 "file and %(team_ties)s between members of the same team.", rows=len(rows),
                 new=new, profiles=profiles, already=already, ties=ties,
                 team_ties=preview.team_ties))


@members_cli.command("import")
@click.argument("community_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--ties", "ties_file", type=click.Path(path_type=Path, dir_okay=False),
              help=_l("A CSV of existing ties (email_a, email_b)."))
@click.option("--dry-run", is_flag=True, help=_l("Check and report; import nothing."))
@click.option("--claim-links", type=click.Path(path_type=Path, dir_okay=False),
              help=_l("Write the new accounts' claim links to this CSV file."))
def import_command(community_id: int, file: Path, ties_file: Path | None, dry_run: bool,
                   claim_links: Path | None) -> None:
    """Import the members CSV FILE into COMMUNITY_ID: all rows, or none if any has a problem."""
    community = db().get(Community, community_id)
    if community is None:
        raise click.ClickException(_("There is no community %(id)s.", id=community_id))
    members = _read(file)
    ties = _read(ties_file) if ties_file else None
    preview = roster.check_import(db(), community, members, ties)
    _report(preview)
    if not preview.ok:
        raise click.ClickException(_("Nothing was imported: fix the lines above and run it "
                                     "again."))
    if dry_run:
        click.echo(_("Dry run: nothing was imported."))
        return
    try:
        result = roster.import_members(db(), community, preview.members.text,
                                           preview.ties.text if preview.ties else None)
    except CirclesError as exc:
        db().rollback()
        raise click.ClickException(exc.message) from exc
    db().commit()
    click.echo(_("Imported into %(name)s: %(added)s members added (%(new)s new accounts), "
                 "%(invited)s people who already had an account invited (they join if they "
                 "accept), %(already)s already members, %(ties)s new ties (%(waiting)s more "
                 "when invited people accept).", name=community.name,
                 added=result.added_members, new=len(result.new_accounts),
                 invited=result.invited, already=result.already_members, ties=result.ties,
                 waiting=result.ties_waiting))
    if claim_links is not None and result.new_accounts:
        _write_links(claim_links, result.new_accounts)
        click.echo(_("Claim links for the new accounts: %(file)s (each signs its person "
                     "in: send it to them alone).", file=claim_links))
    elif result.new_accounts:
        click.echo(_("New accounts sign in through their claim links: download them from the "
                     "community's Import members page, or run again with --claim-links FILE."))


def _write_links(path: Path, accounts: list[roster.NewAccount]) -> None:
    base = str(current_app.config.get("MAIL_BASE_URL") or "").rstrip("/")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "email", "link"])
        for account in accounts:
            writer.writerow([account.name, account.email, f"{base}/claim/{account.claim_token}"])
    path.chmod(0o600)
