"""Security events in the OWASP logging vocabulary, one JSON line each on "circles.security".

Event names follow the OWASP Logging Vocabulary cheat sheet (``authn_login_fail``,
``authz_fail``, …; docs/security.md lists where each is written). Callers pass identifiers
and request coordinates only — never passwords, tokens, cookies or anything a member wrote:
the fields are meant to be safe to ship to a log store that operators read.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from flask import has_request_context, request
from flask_login import current_user

LOGGER_NAME = "circles.security"

log = logging.getLogger(LOGGER_NAME)

#: Field names that would carry a secret; refused so a careless caller fails loudly in tests.
FORBIDDEN_FIELDS = frozenset(
    {"password", "token", "cookie", "secret", "session_token", "csrf_token", "body", "content"}
)


def security_event(event: str, *, level: int = logging.WARNING, **fields: object) -> None:
    """Log the OWASP ``event`` with ``fields`` (ids, method, path) as one JSON object.

    Inside a request, ``user`` (the signed-in member's id, or "anonymous"), ``method``,
    ``path``, ``ids`` and ``ip`` are filled in unless given. ``path`` is the matched URL rule
    (``/claim/<token>``), never the URL itself, which may carry a capability; ``ids`` are
    the rule's integer arguments (which circle, which note).
    ``datetime`` values become ISO strings and anything else not JSON-native its ``str``.
    """
    leaked = FORBIDDEN_FIELDS.intersection(fields)
    if leaked:
        raise ValueError(f"security_event fields must not carry secrets: {sorted(leaked)}")
    record: dict[str, object] = {"event": event,
                                 "at": datetime.now(UTC).isoformat(timespec="seconds")}
    if has_request_context():
        rule = request.url_rule
        ids = {k: v for k, v in (request.view_args or {}).items() if isinstance(v, int)}
        record.update(user=fields["user"] if "user" in fields else _actor(),
                      method=request.method,
                      path=rule.rule if rule is not None else request.path, ids=ids,
                      ip=request.remote_addr)
    record.update(fields)
    log.log(level, "%s", json.dumps(record, default=str, sort_keys=False))


def _actor() -> object:
    """The signed-in member's id, else "anonymous" (loads the user if not loaded yet: so
    the user loader itself must pass ``user=``)."""
    if current_user.is_authenticated:
        return current_user.id
    return "anonymous"
