"""No sid, capability token or query string in any log line the project writes or configures
(docs/security.md, "Live connections"): the rule, the filters on the loggers of the servers
we run, and gunicorn's logger class; then the logs of real servers — `flask serve`, gunicorn
with an access log, and nginx with the sample configuration of docs/deploy.md — after real
traffic full of secrets.
"""

from __future__ import annotations

import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from circles.redaction import REDACTED, RedactingFilter, pseudonym, redact_logs, redact_text

ROOT = Path(__file__).resolve().parents[2]
SID = "Pz3dYgOo8Xl1Zpw1AAAB"  # the shape of an Engine.IO sid


@pytest.mark.parametrize(("line", "expected"), [
    (f'"GET /socket.io/?EIO=4&transport=polling&t=Pq&sid={SID} HTTP/1.1" 200 -',
     '"GET /socket.io/ HTTP/1.1" 200 -'),
    ('"GET /claim/9xQ_tok-en HTTP/1.1" 200', f'"GET /claim/{REDACTED} HTTP/1.1" 200'),
    ("GET /calendar/k2Jx.ics?alarm=1", f"GET /calendar/{REDACTED}"),
    ("POST /verify/abc/confirm", f"POST /verify/{REDACTED}"),
    ("GET /account/reset/abc", f"GET /account/reset/{REDACTED}"),
    ("referer https://circles.example/join/c0de?x=1", f"referer https://circles.example/join/{REDACTED}"),
    ("Exception on /claim/secret [POST]", f"Exception on /claim/{REDACTED} [POST]"),
    # What stays: paths without a capability, the pages that list them, ordinary words.
    ("GET /circles/12/members HTTP/1.1", "GET /circles/12/members HTTP/1.1"),
    ("GET /calendar HTTP/1.1", "GET /calendar HTTP/1.1"),
    ("Is this the calendar? Yes.", "Is this the calendar? Yes."),
])
def test_the_rule_keeps_the_path_and_nothing_secret(line: str, expected: str) -> None:
    assert redact_text(line) == expected


def test_sids_are_redacted_only_where_asked() -> None:
    """Engine.IO's own messages quote a sid bare ("Invalid session <sid>"); elsewhere a
    20-letter word is left alone."""
    assert redact_text(f"Invalid session {SID}", sids=True) == f"Invalid session {REDACTED}"
    assert redact_text("internationalization") == "internationalization"


def test_a_pseudonym_is_stable_and_not_the_sid() -> None:
    assert pseudonym(SID) == pseudonym(SID) != pseudonym(SID[::-1])
    assert SID not in pseudonym(SID)


def test_the_filter_rewrites_records_and_keeps_them(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("circles.test.redaction")
    logger.addFilter(RedactingFilter(sids=True))
    with caplog.at_level(logging.INFO, logger.name):
        logger.info('%s "%s %s"', "127.0.0.1", "GET", f"/socket.io/?sid={SID}")
        logger.error("Invalid session %s", SID)
    assert [r.getMessage() for r in caplog.records] == [
        '127.0.0.1 "GET /socket.io/"', f"Invalid session {REDACTED}"]


def test_the_servers_loggers_are_filtered_once(app: Flask) -> None:
    """Flask's app logger (its "Exception on <path>"), Engine.IO's and Socket.IO's; the
    development server's ``werkzeug`` logger is filtered by `flask serve` (tested live)."""
    redact_logs("engineio.server", "socketio.server", sids=True)  # as a second app would
    for name in (app.logger.name, "engineio.server", "socketio.server"):
        filters = [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]
        assert len(filters) == 1, name
    assert [f.sids for f in logging.getLogger("engineio.server").filters
            if isinstance(f, RedactingFilter)] == [True]


# --- gunicorn's logger class ------------------------------------------------------------


def gunicorn_logger() -> Any:
    from gunicorn.config import Config

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    config.set("logger_class", settings["logger_class"])
    config.set("accesslog", "-")
    return config.logger_class(config)


def test_gunicorn_reads_the_redacting_logger_class() -> None:
    logger = gunicorn_logger()
    assert type(logger).__name__ == "RedactingLogger"
    assert any(isinstance(f, RedactingFilter) for f in logger.error_log.filters)


def test_every_gunicorn_access_atom_is_redacted() -> None:
    logger = gunicorn_logger()
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/socket.io/?EIO=4&sid={SID}",
               "PATH_INFO": "/claim/tok", "QUERY_STRING": f"EIO=4&sid={SID}",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7",
               "HTTP_REFERER": "https://circles.example/calendar/tok.ics?x=1",
               "HTTP_COOKIE": "session=secret", "HTTP_USER_AGENT": "Firefox"}
    request = SimpleNamespace(headers=[("COOKIE", "session=secret"),
                                       ("AUTHORIZATION", "Bearer api-secret"),
                                       ("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", headers=[("Set-Cookie", "session=new")],
                               sent=12)
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    assert atoms["r"] == "GET /socket.io/ HTTP/1.1"
    assert (atoms["U"], atoms["f"]) == (f"/claim/{REDACTED}", f"https://circles.example/calendar/{REDACTED}")
    assert atoms["q"] == atoms["{cookie}i"] == atoms["{authorization}i"] == "-"
    assert atoms["{set-cookie}o"] == atoms["{http_cookie}e"] == atoms["{query_string}e"] == "-"
    assert atoms["h"] == "10.0.0.7" and atoms["a"] == "Firefox"
    everything = repr(atoms)
    assert SID not in everything and "secret" not in everything and "tok" not in everything
