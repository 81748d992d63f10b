"""What never reaches a log line: query strings, capabilities in paths, live connection ids.

A URL can be a key. Engine.IO's long-polling URLs carry the connection's ``sid``; claim,
calendar-feed, verification, reset, e-mail change and invitation links carry a token in a
path segment (``/claim/<token>``, ``/calendar/<token>.ics``, ``/account/email/<token>``,
``/invitations/<token>``, ``/join/<code>`` …). Logs are read by more
people, kept longer and copied further than the database, so every log the project writes or
configures keeps only what identifies the page: the path, with each capability segment
replaced by ``[redacted]`` and no query string (docs/security.md, "Live connections").

``redact_text`` is the one rule; ``RedactingFilter`` applies it to a logger's records, and
``redact_logs`` installs it on the loggers of the servers we run (the development server's
``werkzeug``, Engine.IO's and Socket.IO's, Flask's app logger). gunicorn's access and error
logs get the same rule from the logger class in ``gunicorn.conf.py``; the nginx sample in
docs/deploy.md logs ``$uri`` through a ``map`` that applies it.
"""

from __future__ import annotations

import hashlib
import logging
import re

#: Path segments whose following segment is a capability (a bearer token in the URL), wherever
#: they stand in the path. A new link route with a token needs its segment here and in the
#: nginx sample's ``map`` (docs/deploy.md; a test compares the two).
CAPABILITY_SEGMENTS = ("claim", "calendar", "verify", "reset", "email", "invitations", "join")
REDACTED = "[redacted]"

# ``/claim/`` and everything up to the end of the path (a token has no ``/`` in it, but a
# future route might put one after it; nothing after a capability is needed in a log).
_CAPABILITY = re.compile("(/(?:" + "|".join(CAPABILITY_SEGMENTS) + r")/)[^\s?\"'<>]+")
# A query string inside a URL or a request line: from ``?`` up to whitespace or a quote.
_QUERY = re.compile(r"\?[^\s\"'<>]+")
# An Engine.IO / Socket.IO session id: 15 random bytes in URL-safe base64 (20 characters).
_SID = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-])")


def redact_text(text: str, *, sids: bool = False) -> str:
    """``text`` without query strings and with capability segments replaced.

    ``sids=True`` also replaces every 20-character word of the URL-safe base64 alphabet,
    which is what Engine.IO's ids look like; use it only for the Socket.IO libraries' own
    loggers, whose messages are fixed phrases around such ids.

    >>> redact_text('"GET /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1" 200')
    '"GET /socket.io/ HTTP/1.1" 200'
    >>> redact_text("GET /calendar/k2Jx_9.ics?x=1 and https://example.org/join/c0de")
    'GET /calendar/[redacted] and https://example.org/join/[redacted]'
    >>> redact_text("Invalid session Pz3dYgOo8Xl1Zpw1AAAB", sids=True)
    'Invalid session [redacted]'
    >>> redact_text("Is this the calendar? Yes.")
    'Is this the calendar? Yes.'
    """
    text = _QUERY.sub("", text)
    text = _CAPABILITY.sub(r"\1" + REDACTED, text)
    if sids:
        text = _SID.sub(REDACTED, text)
    return text


def pseudonym(secret: str) -> str:
    """A short stand-in for an id that must not be logged (a socket's sid): the same id
    always gives the same 12 hex digits, so log lines about one socket still go together.

    >>> pseudonym("Pz3dYgOo8Xl1Zpw1AAAB") == pseudonym("Pz3dYgOo8Xl1Zpw1AAAB")
    True
    >>> len(pseudonym("Pz3dYgOo8Xl1Zpw1AAAB"))
    12
    """
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class RedactingFilter(logging.Filter):
    """Rewrites each record of the logger it is added to through ``redact_text`` (the record
    is kept: a filter that dropped lines would hide errors)."""

    def __init__(self, *, sids: bool = False) -> None:
        super().__init__()
        self.sids = sids

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message, sids=self.sids)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_logs(*names: str, sids: bool = False) -> None:
    """Add a ``RedactingFilter`` to each named logger, once (repeated app factories in one
    process, as in tests, do not stack them)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) and f.sids == sids for f in logger.filters):
            logger.addFilter(RedactingFilter(sids=sids))
