"""``flask members import``: the CSV onboarding of the "Import members" page, from the shell —
the same row-by-row report, the same all-or-nothing import, and the claim links written to a
file of the operator's choosing (never printed: each one signs someone in)."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from circles.errors import CirclesError
from circles.extensions import db
from circles.models import Community
from circles.onboarding import roster

members_cli = AppGroup("members", help="Members of a community.")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"Cannot read {path}: {exc.strerror}.") from exc


def _report(preview: roster.ImportPreview) -> None:
    """Every problem with its line, or what importing would do."""
    for problem in preview.members.problems:
        click.echo(f"members file: {problem}")
    if preview.ties is not None:
        for problem in preview.ties.problems:
            click.echo(f"ties file: {problem}")
    if not preview.ok:
        return
    rows = preview.members.rows
    new = sum(row.status == roster.OK for row in rows)
    already = sum(row.status == roster.ALREADY_MEMBER for row in rows)
    profiles = sum(row.status == roster.OK and not row.profile.empty for row in rows)
    ties = len(preview.ties.rows) if preview.ties else 0
    click.echo(f"{len(rows)} rows: {new} to add or invite ({profiles} with a profile, used for "
               f"new accounts), {already} already members; {ties} ties from the ties file and "
               f"{preview.team_ties} between members of the same team.")


@members_cli.command("import")
@click.argument("community_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--ties", "ties_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A CSV of existing ties (email_a, email_b).")
@click.option("--dry-run", is_flag=True, help="Check and report; import nothing.")
@click.option("--claim-links", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the new accounts' claim links to this CSV file.")
def import_command(community_id: int, file: Path, ties_file: Path | None, dry_run: bool,
                   claim_links: Path | None) -> None:
    """Import the members CSV FILE into COMMUNITY_ID: all rows, or none if any has a problem."""
    community = db().get(Community, community_id)
    if community is None:
        raise click.ClickException(f"There is no community {community_id}.")
    members = _read(file)
    ties = _read(ties_file) if ties_file else None
    preview = roster.check_import(db(), community, members, ties)
    _report(preview)
    if not preview.ok:
        raise click.ClickException("Nothing was imported: fix the lines above and run it again.")
    if dry_run:
        click.echo("Dry run: nothing was imported.")
        return
    try:
        result = roster.import_members(db(), community, preview.members.text,
                                           preview.ties.text if preview.ties else None)
    except CirclesError as exc:
        db().rollback()
        raise click.ClickException(exc.message) from exc
    db().commit()
    click.echo(f"Imported into {community.name}: {result.added_members} members added "
               f"({len(result.new_accounts)} new accounts), {result.invited} people who already "
               f"had an account invited (they join if they accept), {result.already_members} "
               f"already members, {result.ties} new ties ({result.ties_waiting} more when "
               "invited people accept).")
    if claim_links is not None and result.new_accounts:
        _write_links(claim_links, result.new_accounts)
        click.echo(f"Claim links for the new accounts: {claim_links} (each signs its person "
                   "in: send it to them alone).")
    elif result.new_accounts:
        click.echo("New accounts sign in through their claim links: download them from the "
                   "community's Import members page, or run again with --claim-links FILE.")


def _write_links(path: Path, accounts: list[roster.NewAccount]) -> None:
    base = str(current_app.config.get("MAIL_BASE_URL") or "").rstrip("/")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "email", "link"])
        for account in accounts:
            writer.writerow([account.name, account.email, f"{base}/claim/{account.claim_token}"])
    path.chmod(0o600)
