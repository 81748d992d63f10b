"""Security headers on every response, the CSP nonce, and the CSP violation report endpoint.

docs/security.md explains each header. In short: scripts and styles come only from this
origin (inline script only with this response's nonce), nothing may frame us, nothing leaks
through the Referer, and no page for a signed-in member (or carrying a form's CSRF token) is
stored by any cache. Static assets are the one exception to ``no-store``: they are the same
for everyone.
"""

from __future__ import annotations

import json
import logging
import secrets

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from circles.extensions import csrf, limiter
from circles.redaction import redact_logs
from circles.security_log import LOGGER_NAME, security_event

#: Endpoints whose responses are public and identical for everyone: caches may keep them.
PUBLIC_ASSETS = frozenset({"static", "vendor.asset"})
#: Largest CSP report we read; browsers send well under 4 KiB.
MAX_REPORT_BYTES = 8 * 1024

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # No Referer leaves the site: URLs carry ids and capabilities (claim links, calendar
    # feeds), and nobody outside needs to know where a member came from.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # browsers older than CSP's frame-ancestors
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}

bp = Blueprint("security", __name__)


def csp_nonce() -> str:
    """This response's script nonce (one per request, made on first use)."""
    nonce: str | None = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    """The policy: own origin only, inline script only with ``nonce``, never framed."""
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        # 'self' also matches ws:/wss: on this host (CSP 3; tests/browser/test_csp.py).
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "report-uri /csp-report",
    ]
    return "; ".join(directives)


def _cacheable(response: Response) -> bool:
    return request.endpoint in PUBLIC_ASSETS and response.status_code < 400


def set_headers(response: Response) -> Response:
    """Add the security headers to ``response`` (an ``after_request`` hook)."""
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not _cacheable(response):
        # Every dynamic response: pages of signed-in members and forms with a CSRF token
        # are all of them but the anonymous home page, which is not worth a special case.
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


@bp.post("/csp-report")
@csrf.exempt
@limiter.limit(lambda: current_app.config["CSP_REPORT_RATE_LIMIT"])
def csp_report() -> ResponseReturnValue:
    """Log a browser's CSP violation report (no cookies needed; the body is size-limited,
    and reports beyond ``CSP_REPORT_RATE_LIMIT`` per address are refused before this runs)."""
    if (request.content_length or 0) > MAX_REPORT_BYTES:
        return "", 413
    raw = request.get_data(cache=False)[:MAX_REPORT_BYTES]
    try:
        report = json.loads(raw or b"{}").get("csp-report", {})
    except (ValueError, AttributeError):
        report = {}
    if not isinstance(report, dict):
        report = {}
    # Only the policy's coordinates: a report's "script-sample" may hold page text.
    security_event(
        "csp_violation",
        directive=str(report.get("effective-directive") or report.get("violated-directive", ""))[:100],
        blocked=_without_query(str(report.get("blocked-uri", ""))),
        document=_without_query(str(report.get("document-uri", ""))),
    )
    return "", 204


def _without_query(uri: str) -> str:
    """A URI cut before its query and fragment (they may carry tokens), at most 200 chars."""
    return uri.split("?", 1)[0].split("#", 1)[0][:200]


def init_app(app: Flask) -> None:
    """Register the headers hook, the ``csp_nonce()`` template global and ``/csp-report``."""
    app.after_request(set_headers)
    app.add_template_global(csp_nonce)
    app.register_blueprint(bp)
    app.logger  # noqa: B018 - creates Flask's handler on "circles", which our logger reaches
    redact_logs(app.logger.name)  # "Exception on /claim/<token>": no capability in the log
    security = logging.getLogger(LOGGER_NAME)
    if security.level == logging.NOTSET:  # an operator's logging config wins
        security.setLevel(logging.INFO)
