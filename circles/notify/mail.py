"""E-mail: every message is written to the outbox first, then handed to SMTP when configured.

Without ``MAIL_SERVER`` nothing is sent and nothing is lost: the messages stay in the outbox,
where the development outbox page (``/dev/outbox``) shows them.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.languages import DEFAULT, current_language, known, language_of
from circles.models import User, utcnow
from circles.models.notifications import OutboxMessage

MAX_ATTEMPTS = 5
#: Links of messages about the account itself (sent whatever the notification settings).
ACCOUNT_LINKS = ("/verify/", "/reset/", "/account", "/claim/")
BATCH = 100


def queue_email(db: Session, to: str, subject: str, body: str, link: str = "") -> OutboxMessage:
    """Write one e-mail to the outbox; the edge's commit makes it durable. ``link`` is a path
    in the app, made absolute with ``MAIL_BASE_URL`` when the message is sent. The message is
    written in the current language (the recipient's, or for an address without an account,
    the asking page's), which is kept so that the footer added when sending matches it."""
    message = OutboxMessage(to=to, subject=subject[:200], body=body, link=link[:300],
                            language=current_language())
    db.add(message)
    return message


def unsent(db: Session, *, limit: int = BATCH) -> list[OutboxMessage]:
    """Messages still to send, oldest first, leaving out ones that failed too often."""
    return list(db.scalars(select(OutboxMessage)
                           .where(OutboxMessage.sent_at.is_(None),
                                  OutboxMessage.attempts < MAX_ATTEMPTS)
                           .order_by(OutboxMessage.id).limit(limit)))


def send_outbox(db: Session, config: Mapping[str, Any]) -> int:
    """Send unsent outbox messages through ``MAIL_SERVER``; returns how many were sent.

    Does nothing when no server is configured. A failure is recorded on the message
    (``error``, ``attempts``) and retried on the next run, up to ``MAX_ATTEMPTS`` times.
    The caller commits (after each run, so a crash never sends a message twice in bulk).
    """
    if not config.get("MAIL_SERVER"):
        return 0
    messages = unsent(db)
    if not messages:
        return 0
    for message in messages:
        message.attempts += 1
    sent = 0
    try:
        with _connect(config) as smtp:
            for message in messages:
                try:
                    # The footer in the language the message was written in.
                    with force_locale(known(message.language) or _language(db, message.to)):
                        email = _email(message, config)
                    smtp.send_message(email)
                except smtplib.SMTPException as exc:  # this recipient refused, say
                    message.error = _describe(exc)
                else:
                    message.sent_at, message.error = utcnow(), ""
                    sent += 1
    except (OSError, smtplib.SMTPException) as exc:  # server down or login refused
        for message in messages:
            if message.sent_at is None:
                message.error = _describe(exc)
    return sent


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    host, port = str(config["MAIL_SERVER"]), int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    smtp: smtplib.SMTP
    if config.get("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
    return smtp


def _email(message: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = str(config.get("MAIL_DEFAULT_SENDER") or "circles@localhost")
    email["To"] = message.to
    email["Subject"] = message.subject
    body = message.body
    base = str(config.get("MAIL_BASE_URL") or "").rstrip("/")
    if message.link:
        body = f"{body.rstrip()}\n\n{base}{message.link}\n"
    if message.link.startswith(ACCOUNT_LINKS) or not message.link:
        body += "\n-- \n" + _("You receive this because someone used this address on "
                               "Circles. If it was not you, you can ignore this message.") + "\n"
    else:
        body += "\n-- \n" + _("You receive this because of your notification settings; "
                               "choose what reaches you by e-mail at %(url)s",
                               url=f"{base}/notifications/settings") + "\n"
    email.set_content(body)
    return email


def _language(db: Session, address: str) -> str:
    user = db.scalar(select(User).where(User.email == address))
    return language_of(db, user) if user is not None else DEFAULT


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]
