"""``flask`` commands: the demo community, formation, and the Socket.IO-aware development server."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from circles.cli.members import members_cli
from circles.cli.notify import notify_cli, start_worker
from circles.config import secure_cookies
from circles.demo import community as demo
from circles.errors import CirclesError, InvalidInput
from circles.extensions import db
from circles.formation.figures import FIGURE_LABELS
from circles.formation.next_round import prepare_next_round
from circles.formation.plan import prepare_run, solve_run, store_run
from circles.formation.preview import RunPreview, changes_line, preview
from circles.formation.publish import publish
from circles.formation.start import start_run
from circles.formation.stored import next_round
from circles.kept import shown as in_readers
from circles.models import Community, FormationRun, Membership, User
from circles.redaction import redact_logs
from circles.server import exit_on_sigterm, prepare_to_serve
from graph.errors import FormationError

demo_cli = AppGroup("demo", help=_l("The demo community."))


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help=_l("Do nothing when the database already has users."))
@click.option("--seed", default=7, show_default=True, help=_l("Seed for the generated community."))
def load_command(if_empty: bool, seed: int) -> None:
    """Load the demo community and print its logins."""
    if if_empty and not demo.database_is_empty(db()):
        click.echo(_("Database already has members; demo not loaded."))
    else:
        try:
            demo.load_demo(db(), seed=seed)
        except CirclesError as exc:
            db().rollback()
            raise click.ClickException(exc.message) from exc
        db().commit()
        click.echo(_("Demo community loaded."))
    logins = demo.demo_logins(db())
    if logins:
        click.echo(_("Demo logins:"))
    for email, password, role in logins:
        click.echo(_("  %(role)s %(email)s  password: %(password)s", role=f"{role:<12}", email=email,
                     password=password))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help=_l("Interface to listen on."))
@click.option("--port", default=5000, show_default=True, type=int, help=_l("Port to listen on."))
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve Circles with Socket.IO (threading mode) on the development server."""
    # SIGTERM (systemd, a test stopping its server) ends the process through sys.exit, so
    # exit hooks run: the process's live connections are dropped at once, not after a sweep.
    # Set first: from the announcement below on, whoever starts the server may stop it.
    leaving = exit_on_sigterm()
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        socketio = app.extensions["socketio"]
        secure_cookies(app, plain_http=True)  # this server speaks http (docs/security.md#cookies)
        click.echo(_("Circles is running on %(url)s", url=f"http://{host}:{port}"))
        start_worker(app)  # reminders and e-mail every NOTIFY_INTERVAL_SECONDS
        # The flask CLI sets this so that a stray app.run() in an imported module does not
        # block a command; here running the server *is* the command (socketio.run: app.run).
        os.environ.pop("FLASK_RUN_FROM_CLI", None)
        prepare_to_serve(app)
        # The request log names paths only: no sid, no query string, no token (docs/security.md).
        redact_logs("werkzeug")
        # The reloader would fork a second process that loads the app (and its sockets) twice.
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)
    finally:
        leaving.set()


formation_cli = AppGroup("formation", help=_l("Form circles for a community."))


KEEP_OPEN = _l("Keep the circles this run did not form (formed by hand or by an earlier run) "
               "open beside the new ones; by default publishing closes them and calls off "
               "their upcoming sessions.")


@formation_cli.command("run")
@click.argument("community_id", type=int)
@click.option("--min-size", default=4, show_default=True, type=int, help=_l("Smallest circle."))
@click.option("--max-size", default=6, show_default=True, type=int, help=_l("Largest circle."))
@click.option("--rounds", default=1, show_default=True, type=int, help=_l("Rounds to plan jointly."))
@click.option("--time-limit", type=float,
              help=_l("Most seconds the solver may search (default: 10 for 60 members, up to "
                      "30)."))
@click.option("--seed", type=int, default=1, show_default=True,
              help=_l("Seed of the search and the baselines: the same inputs and seed give the "
                      "same plan."))
@click.option("--allow-repeats", is_flag=True,
              help=_l("Let people who already met meet again where no plan avoids it."))
@click.option("--publish", "publish_now", is_flag=True, help=_l("Create round 1's circles."))
@click.option("--accept", multiple=True, metavar="KEY",
              help=_l("With --publish: accept this named exception (repeatable)."))
@click.option("--keep-open", is_flag=True, help=KEEP_OPEN)
def formation_run_command(community_id: int, min_size: int, max_size: int, rounds: int,
                          time_limit: float | None, seed: int, allow_repeats: bool,
                          publish_now: bool, accept: tuple[str, ...], keep_open: bool) -> None:
    """Form circles for COMMUNITY_ID and print the figures beside random and greedy groupings."""
    session = db()
    community = session.get(Community, community_id)
    if community is None:
        raise click.ClickException(_("There is no community %(id)s.", id=community_id))
    creator = session.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.community_id == community_id, Membership.role == "facilitator")
        .order_by(Membership.id).limit(1))
    if creator is None:
        raise click.ClickException(_("The community has no facilitator to run formation."))
    try:
        run = start_run(session, community, creator, min_size=min_size, max_size=max_size,
                        rounds=rounds, seed=seed, allow_repeats=allow_repeats)
        problem = prepare_run(session, run.id, time_limit=time_limit)
        # No transaction stays open through the solve: on SQLite it would hold the database
        # lock and stall a server running beside this command.
        session.commit()
        with click.progressbar(length=100, label=_("Forming circles")) as bar:
            def progress(fraction: float) -> None:
                bar.update(max(0, round(fraction * 100) - bar.pos))

            solution = solve_run(problem, progress=progress)
        run = store_run(session, problem, solution)
        shown = preview(session, run)
        circles = (publish(session, run, accept=accept, others="keep" if keep_open else "close")
                   if publish_now else [])
    except InvalidInput as exc:
        db().rollback()
        raise click.ClickException("\n".join(f"{k}: {in_readers(v)}" for k, v in exc.errors.items())) from exc
    except CirclesError as exc:
        db().rollback()
        raise click.ClickException(exc.message) from exc
    except FormationError as exc:
        db().rollback()
        raise click.ClickException(str(exc)) from exc
    db().commit()
    _echo_preview(shown)
    if circles:
        click.echo(ngettext("Published %(num)d circle (formation run %(run)s).",
                              "Published %(num)d circles (formation run %(run)s).", len(circles),
                              run=run.id))
    else:
        click.echo(_("Draft formation run %(run)s; publish it from the Form circles page "
                     "or rerun with --publish.", run=run.id))


@formation_cli.command("publish")
@click.argument("run_id", type=int)
@click.option("--prepare", is_flag=True,
              help=_l("First take in who joined or left since the round was planned."))
@click.option("--accept", multiple=True, metavar="KEY",
              help=_l("Accept this named exception (repeatable)."))
@click.option("--keep-open", is_flag=True, help=KEEP_OPEN)
def formation_publish_command(run_id: int, prepare: bool, accept: tuple[str, ...],
                              keep_open: bool) -> None:
    """Publish the next round of formation run RUN_ID and close the round before it."""
    session = db()
    run = session.get(FormationRun, run_id)
    if run is None:
        raise click.ClickException(_("There is no formation run %(id)s.", id=run_id))
    try:
        changed = prepare_next_round(session, run) if prepare else None
        upcoming = next_round(session, run)
        circles = publish(session, run, accept=accept, others="keep" if keep_open else "close")
    except CirclesError as exc:
        db().rollback()
        raise click.ClickException(exc.message) from exc
    db().commit()
    if changed is not None:
        click.echo(_("Prepared round %(round)s: %(changes)s.", round=upcoming,
                     changes=changes_line(session, changed)))
    for circle in circles:
        click.echo(f"{circle.name}: {', '.join(s.user.display_name for s in circle.seats)}")
    if upcoming and upcoming > 1:
        click.echo(ngettext("Published round %(round)s: %(num)d circle (formation run %(run)s); "
                            "round %(previous)s is closed.", "Published round %(round)s: "
                            "%(num)d circles (formation run %(run)s); round %(previous)s is "
                            "closed.", len(circles), round=upcoming, run=run_id,
                            previous=upcoming - 1))
    else:
        click.echo(ngettext("Published round %(round)s: %(num)d circle (formation run %(run)s).",
                            "Published round %(round)s: %(num)d circles (formation run "
                            "%(run)s).", len(circles), round=upcoming, run=run_id))
    later = next_round(session, run)
    click.echo(_("Round %(round)s stays planned; publish it when its time comes.", round=later)
               if later else _("That was the last planned round."))


def _echo_preview(shown: RunPreview) -> None:
    for circle in shown.circles:
        click.echo(f"{circle.name}: {', '.join(circle.names)}")
        click.echo(f"    {' · '.join(circle.reasons)}")
    for row in shown.excluded:
        click.echo(_("Not placed: %(name)s — %(reason)s", name=row["name"], reason=row["reason"]))
    for note in shown.notes:
        click.echo(_("Note: %(note)s", note=note))
    for item in shown.exceptions:
        how = _("accepted (--allow-repeats)") if item["accepted"] else (
            _("accept with --accept %(key)s", key=item["key"]) if item["acceptable"]
            else _("cannot be accepted"))
        click.echo(_("Breaks a rule: %(rule)s [%(how)s]", rule=item["text"], how=how))
    rounds = [_("round %(number)s", number=row_no) for row_no in range(1, len(shown.by_round) + 1)]
    click.echo(f"{_('figure'):<32}{_('this plan'):>10}" + "".join(f"{r:>10}" for r in rounds)
               + f"{_('random'):>10}{_('greedy'):>10}")
    for key, label in FIGURE_LABELS.items():
        cells = [shown.figures.get(key), *(row.get(key) for row in shown.by_round),
                 shown.baseline.get(key), shown.greedy.get(key)]
        click.echo(f"{label!s:<32}" + "".join(f"{'—' if v is None else v!s:>10}" for v in cells))
    click.echo(_("Seed %(seed)s: the same inputs and seed give the same plan.",
                 seed=shown.run.params.get("seed")))


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(formation_cli)
    app.cli.add_command(serve_command)
    app.cli.add_command(notify_cli)
    app.cli.add_command(members_cli)
