"""Erasure on disk: after a member deletes their account, their words are in no byte of the
SQLite database file or its write-ahead log.

Deleting rows leaves their bytes in the file's free space unless ``secure_delete`` is on
(every SQLite connection turns it on: circles/database.py), and the write-ahead log keeps
the pages as they were before until a checkpoint; the erasure view empties the log after
its commit (``empty_write_ahead_log``). tests/members/test_erasure.py proves no table holds
them; this reads the files. SQLite only: PostgreSQL keeps dead rows until VACUUM, which is
the operator's (docs/security.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from circles.database import empty_write_ahead_log
from circles.extensions import orm
from realtime import revocation
from tests.conftest import PASSWORD, AuthActions, post_form
from tests.support.privacy_world import MARK, OTHERS, PrivacyWorld, build_privacy_world


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def insecure_build(app: Flask) -> None:
    """Connections start as on a SQLite built without SQLITE_SECURE_DELETE (Debian's has
    it on by default, which would hide a missing pragma): the app must turn it on itself."""

    def build_default(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA secure_delete = OFF")

    with app.app_context():
        event.listen(orm.engine, "connect", build_default, insert=True)  # runs first
        orm.engine.dispose()


@pytest.fixture
def world(app: Flask, insecure_build: None, make_user: Any,
          monkeypatch: pytest.MonkeyPatch) -> PrivacyWorld:
    monkeypatch.setattr(revocation.Revoker, "publish", lambda _self, _instruction: None)
    return build_privacy_world(app, make_user)


def on_disk(app: Flask) -> dict[str, bytes]:
    """The database file and its write-ahead log, as bytes."""
    with app.app_context():
        path = Path(str(orm.engine.url.database))
    return {name: file.read_bytes() if file.exists() else b""
            for name, file in (("db", path), ("wal", Path(f"{path}-wal")))}


def where(needle: str, files: dict[str, bytes]) -> list[str]:
    return [name for name, data in files.items() if needle.encode() in data]


def test_every_sqlite_connection_zeroes_what_it_deletes(app: Flask, insecure_build: None) -> None:
    with app.app_context():
        assert orm.session.execute(text("PRAGMA secure_delete")).scalar() == 1
        assert orm.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_the_erased_members_words_are_in_neither_file(app: Flask,
                                                      world: PrivacyWorld) -> None:
    client: FlaskClient = app.test_client()
    assert AuthActions(client).login(world.zed_email).status_code == 302
    assert where(MARK, on_disk(app)) != []  # the scan can fail: his words were there
    done = post_form(client, "/account/delete", {"password": PASSWORD})
    assert done.status_code == 302
    files = on_disk(app)
    assert where(MARK, files) == []
    assert where(world.zed_email, files) == [] and where(world.zed_name, files) == []
    assert where(OTHERS, files) == ["db"]  # everyone else's words stay, in the file itself
    assert files["wal"] == b""


def test_emptying_the_log_is_nothing_to_do_elsewhere(app: Flask) -> None:
    memory = create_engine("sqlite://")
    assert empty_write_ahead_log(memory) is True
    memory.dispose()
    with app.app_context():
        assert empty_write_ahead_log(orm.engine) is True
