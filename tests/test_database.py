"""The database layer: migrations match the models, and concurrent writes are never lost."""

from __future__ import annotations

import threading
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from circles.database import writer_lock
from circles.extensions import orm
from circles.models import Base, Community

THREADS = 16
INCREMENTS = 200


def test_migrations_produce_the_models_schema(app: Flask) -> None:
    with app.app_context():
        orm.drop_all()
        upgrade()
        with orm.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        downgrade(revision="base")
        assert set(inspect(orm.engine).get_table_names()) <= {"alembic_version"}


def _community(app: Flask) -> int:
    with app.app_context(), Session(orm.engine) as db:
        community = Community(name="Counter", invite_code="counter")
        db.add(community)
        db.commit()
        return community.id


def _hammer(app: Flask, community_id: int, *, lock: bool) -> tuple[int, list[BaseException]]:
    """16 threads each do 200 read-modify-write ORM increments in their own transactions."""
    with app.app_context():
        engine = orm.engine
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work() -> None:
        try:
            start.wait()
            for _ in range(INCREMENTS):
                with Session(engine) as db:
                    row: Any = db.get(Community, community_id, with_for_update=lock)
                    row.invite_uses += 1
                    db.commit()
        except BaseException as exc:  # noqa: BLE001 - asserted below; a thread must not die silently
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(engine) as db:
        return db.get_one(Community, community_id).invite_uses, errors


def test_concurrent_orm_increments_are_never_lost(app: Flask) -> None:
    """Row-locked increments, as the domain does them: exact on SQLite and PostgreSQL."""
    total, errors = _hammer(app, _community(app), lock=True)
    assert errors == []
    assert total == THREADS * INCREMENTS


def test_sqlite_plain_increments_are_serialised_by_begin_immediate(tmp_path: Any) -> None:
    """Without any row lock, pysqlite's legacy mode loses updates; BEGIN IMMEDIATE does not."""
    from circles import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'counter.sqlite3'}"})
    with app.app_context():
        orm.create_all()
        with orm.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    total, errors = _hammer(app, _community(app), lock=False)
    assert errors == []
    assert total == THREADS * INCREMENTS


def _sqlite_app(tmp_path: Any, **config: Any) -> Flask:
    from circles import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'locks.sqlite3'}", **config})
    with app.app_context():
        orm.create_all()
    return app


def test_sqlite_transactions_begin_immediate_holding_the_writer_lock(tmp_path: Any) -> None:
    """Every transaction (even one that only reads) is a BEGIN IMMEDIATE holding the process's
    writer lock for the file; COMMIT, ROLLBACK, the pool's reset and closing all let it go."""
    app = _sqlite_app(tmp_path)
    with app.app_context():
        engine = orm.engine
    lock = writer_lock(str(engine.url.database))
    ends = {"commit": lambda db: db.commit(), "rollback": lambda db: db.rollback(),
            "close": lambda db: db.close()}
    for name, end in ends.items():
        db = Session(engine)
        db.execute(text("SELECT 1"))
        raw = db.connection().connection.dbapi_connection
        assert raw is not None and raw.in_transaction, name
        assert lock.locked(), f"{name}: the transaction does not hold the writer lock"
        end(db)
        assert not lock.locked(), f"{name} did not release the writer lock"
        db.close()
    with engine.connect() as conn:  # a Core connection returned to the pool mid-transaction
        conn.exec_driver_sql("SELECT 1")
        assert lock.locked()
    assert not lock.locked()


def test_sqlite_writers_of_one_process_queue_on_the_lock(tmp_path: Any) -> None:
    """A second transaction waits for the first and starts the moment it commits; one that
    waits past the busy timeout fails like SQLite's own "database is locked"."""
    app = _sqlite_app(tmp_path, SQLITE_BUSY_TIMEOUT_MS=300)
    with app.app_context():
        engine = orm.engine
    started = threading.Event()
    first = Session(engine)
    first.execute(text("SELECT 1"))

    def second() -> None:
        with Session(engine) as db:
            db.execute(text("SELECT 1"))
            started.set()
            db.commit()

    waiter = threading.Thread(target=second)
    waiter.start()
    assert not started.wait(0.1), "the second transaction did not wait for the first"
    first.commit()
    assert started.wait(5), "the second transaction did not start once the first committed"
    waiter.join()

    first.execute(text("SELECT 1"))
    failures: list[BaseException] = []

    def impatient() -> None:
        try:
            with Session(engine) as db:
                db.execute(text("SELECT 1"))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            failures.append(exc)

    thread = threading.Thread(target=impatient)
    thread.start()
    thread.join(10)
    first.close()
    assert len(failures) == 1 and "database is locked" in str(failures[0])
