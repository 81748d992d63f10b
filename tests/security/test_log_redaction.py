"""No sid, capability token or query string in any log line the project writes or configures
(docs/security.md, "Live connections"): the rule, the filters on the loggers of the servers
we run, and gunicorn's logger class; then the logs of real servers — `flask serve`, gunicorn
with an access log, and nginx with the sample configuration of docs/deploy.md — after real
traffic full of secrets.
"""

from __future__ import annotations

import logging
import os
import re
import runpy
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask

from circles.redaction import (
    CAPABILITY_SEGMENTS,
    REDACTED,
    RedactingFilter,
    pseudonym,
    redact_logs,
    redact_text,
)
from tests.support.live import LiveSession, ServerFactory, free_port
from tests.support.live_socket import WAIT, Member
from tests.support.services import require_program

ROOT = Path(__file__).resolve().parents[2]
SID = "Pz3dYgOo8Xl1Zpw1AAAB"  # the shape of an Engine.IO sid


@pytest.mark.parametrize(("line", "expected"), [
    (f'"GET /socket.io/?EIO=4&transport=polling&t=Pq&sid={SID} HTTP/1.1" 200 -',
     '"GET /socket.io/ HTTP/1.1" 200 -'),
    ('"GET /claim/9xQ_tok-en HTTP/1.1" 200', f'"GET /claim/{REDACTED} HTTP/1.1" 200'),
    ("GET /calendar/k2Jx.ics?alarm=1", f"GET /calendar/{REDACTED}"),
    ("POST /verify/abc/confirm", f"POST /verify/{REDACTED}"),
    ("GET /account/reset/abc", f"GET /account/reset/{REDACTED}"),
    ("POST /account/email/abc", f"POST /account/email/{REDACTED}"),
    ("POST /invitations/abc/accept", f"POST /invitations/{REDACTED}"),
    ("referer https://circles.example/join/c0de?x=1", f"referer https://circles.example/join/{REDACTED}"),
    ("Exception on /claim/secret [POST]", f"Exception on /claim/{REDACTED} [POST]"),
    # What stays: paths without a capability, the pages that list them, ordinary words.
    ("GET /circles/12/members HTTP/1.1", "GET /circles/12/members HTTP/1.1"),
    ("GET /calendar HTTP/1.1", "GET /calendar HTTP/1.1"),
    ("Is this the calendar? Yes.", "Is this the calendar? Yes."),
])
def test_the_rule_keeps_the_path_and_nothing_secret(line: str, expected: str) -> None:
    assert redact_text(line) == expected


def test_the_nginx_sample_redacts_the_same_segments() -> None:
    sample = (ROOT / "docs" / "deploy.md").read_text()
    found = re.search(r"\.\*\?/\(\?:([a-z|]+)\)/\)", sample)
    assert found, "no capability map in the nginx sample"
    assert sorted(found.group(1).split("|")) == sorted(CAPABILITY_SEGMENTS)


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


# --- the logs of real servers after traffic full of secrets -------------------------------


@dataclass
class Front:
    """Where clients send their requests: a live server, or nginx in front of one."""

    url: str


def secret_traffic(front: Any) -> list[str]:
    """Sign up, open a polling socket and an upgraded one, replay a closed sid, and follow
    capability links with query strings; returns every secret the traffic put in a URL."""
    found = [secrets.token_urlsafe(12) for _ in range(9)]
    claim, feed, code, verify, reset, email, invitation, query, other = found
    browser = LiveSession(front)
    browser.signup(f"logs-{secrets.token_hex(4)}@example.org", "Log Reader", verify=False)
    polling = Member(front, browser.cookie_header(), transports=["polling"])
    polling.connect()
    assert polling.call("whoami")["ok"] is True
    upgraded = Member(front, browser.cookie_header())
    upgraded.connect()
    assert upgraded.call("whoami")["ok"] is True
    found += [polling.client.eio.sid, upgraded.client.eio.sid]
    polling.disconnect()
    upgraded.disconnect()
    base = front.url
    stale = f"{base}/socket.io/?EIO=4&transport=polling&sid={found[-2]}"
    assert requests.get(stale, timeout=WAIT).status_code == 400  # Engine.IO logs the sid
    for path in (f"/claim/{claim}?utm_source={query}", f"/calendar/{feed}.ics?alarm={other}",
                 f"/join/{code}?ref={query}", f"/verify/{verify}", f"/reset/{reset}",
                 f"/account/email/{email}", f"/invitations/{invitation}", f"/?q={other}"):
        requests.get(base + path, timeout=WAIT, headers={"Referer": f"{base}/claim/{claim}"})
    return found


def assert_free_of(log: str, found: list[str], *, request_line: str) -> None:
    """No secret, no query string; and the request log was written (else this proves
    nothing): its socket and claim lines are there, redacted."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)  # werkzeug colours a line by its status
    assert request_line.format(path="/socket.io/") in log, log[-3000:]
    assert request_line.format(path=f"/claim/{REDACTED}") in log, log[-3000:]
    leaked = [secret for secret in found if secret in log]
    assert leaked == [], log[-3000:]
    assert not any(marker in log for marker in ("EIO=", "sid=", "transport=", "utm_source"))


@pytest.mark.live
def test_the_development_servers_log_is_free_of_sids_and_tokens(
        live_server_factory: ServerFactory) -> None:
    server = live_server_factory()
    found = secret_traffic(server)
    server.stop()  # everything it wrote is in its log now
    log = server.log(tail=200_000)
    assert_free_of(log, found, request_line='"GET {path} HTTP/1.1"')
    assert f"Invalid session {REDACTED}" in log  # Engine.IO's own error, sid redacted


@pytest.mark.live
def test_gunicorns_access_log_is_free_of_sids_and_tokens(
        live_server_factory: ServerFactory) -> None:
    server = live_server_factory(gunicorn=True, GUNICORN_CMD_ARGS="--access-logfile -")
    found = secret_traffic(server)
    server.stop()
    assert_free_of(server.log(tail=200_000), found, request_line='"GET {path} HTTP/1.1"')


def nginx_config(folder: Path, upstream: int, port: int) -> Path:
    """The sample of docs/deploy.md, served on plain http from a folder of its own."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    sample = next(block for block in re.findall(r"```nginx\n(.*?)```", text,
                                                   flags=re.DOTALL)
                  if "log_format" in block)
    sample = re.sub(r"(    server 127\.0\.0\.1:\d+ max_fails=0;\n)+",
                    f"    server 127.0.0.1:{upstream};\n", sample)
    sample = sample.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    sample = sample.replace("/var/log/nginx/", f"{folder}/")
    assert f"listen 127.0.0.1:{port};" in sample and f"{folder}/circles.access.log" in sample
    temp = " ".join(f"{kind}_temp_path {folder}/{kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the folder
    path = folder / "nginx.conf"
    path.write_text(f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log; {user}\n"
                    f"events {{}}\nhttp {{\n{temp}\n{sample}\n}}\n")
    return path


@pytest.mark.live
def test_the_nginx_samples_access_log_is_free_of_sids_and_tokens(
        live_server_factory: ServerFactory, tmp_path: Path) -> None:
    nginx = require_program("nginx", "apt-get install nginx-light")
    server = live_server_factory()
    port = free_port()
    config = nginx_config(tmp_path, server.port, port)
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(config)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(config)],
                               stderr=subprocess.DEVNULL)  # it logs to error.log
    try:
        wait_for_port(port)
        found = secret_traffic(Front(f"http://127.0.0.1:{port}"))
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = (tmp_path / "circles.access.log").read_text()
    assert_free_of(log, found, request_line='"GET {path} HTTP/1.1"')


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not answer on port {port}")
