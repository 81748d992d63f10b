"""``flask notify``: send due reminders and the e-mail outbox, by hand, from cron, or in a
background thread started by ``flask serve``."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from circles.extensions import db, orm
from circles.formation.recovery import fail_lost
from circles.growth.pulse import notify_all_at_risk
from circles.live import processes
from circles.models import utcnow
from circles.notify.mail import send_outbox
from circles.sessions.reminders import send_due_reminders

log = logging.getLogger(__name__)
notify_cli = AppGroup("notify", help=_l("Reminders and e-mail."))


@notify_cli.command("reminders")
def reminders_command() -> None:
    """Notify members of due commitments and sessions within a day, then send e-mail."""
    sent = send_due_reminders(db(), utcnow())
    db().commit()
    mailed = send_outbox(db(), current_app.config)
    db().commit()
    click.echo(_("%(sent)s reminder(s) created, %(mailed)s e-mail(s) sent.", sent=sent,
                 mailed=mailed))


@notify_cli.command("send")
def send_command() -> None:
    """Send the e-mail outbox through MAIL_SERVER (nothing is sent without one)."""
    if not current_app.config.get("MAIL_SERVER"):
        click.echo(_("MAIL_SERVER is not set: messages stay in the outbox (/dev/outbox)."))
    mailed = send_outbox(db(), current_app.config)
    db().commit()
    click.echo(_("%(mailed)s e-mail(s) sent.", mailed=mailed))


def tick(app: Flask) -> tuple[int, int]:
    """One round of the background worker: reminders and at-risk checks, formation runs lost
    with a crashed process marked failed, then the outbox, each committed."""
    with app.app_context():
        try:
            now = utcnow()
            sent = send_due_reminders(db(), now) + notify_all_at_risk(db(), now)
            db().commit()
            fail_lost(db(), alive=processes.checker(db(), app.config))
            db().commit()
            mailed = send_outbox(db(), app.config)
            db().commit()
            return sent, mailed
        finally:
            orm.session.remove()


def start_worker(app: Flask) -> threading.Thread | None:
    """Run ``tick`` every ``NOTIFY_INTERVAL_SECONDS`` in a daemon thread (0 turns it off).

    The first round runs one interval after start, so short-lived servers (tests) never
    see it; ``flask notify reminders`` runs a round at once.
    """
    interval = float(app.config.get("NOTIFY_INTERVAL_SECONDS") or 0)
    if interval <= 0:
        return None
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                tick(app)
            except Exception:  # a bad round is logged; the next one tries again
                log.exception("notification round failed")

    thread = threading.Thread(target=run, name="circles-notify", daemon=True)
    thread.start()
    return thread
