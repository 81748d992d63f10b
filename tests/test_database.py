"""The database layer: migrations match the models, and concurrent writes are never lost."""

from __future__ import annotations

import threading
import time
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
from circles.server import BackgroundCheckpointer
from tests.support.interpreters import in_a_gevent_worker

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




def test_a_serving_process_checkpoints_sqlite_off_the_request_path(tmp_path: Any) -> None:
    """Once a serving process has its checkpointer, no connection of its engine (one made
    before included) checkpoints inside a commit; what is committed still reaches the
    database file, copied by the checkpointer."""
    app = _sqlite_app(tmp_path)
    with app.app_context():
        engine = orm.engine
    with engine.connect() as conn:  # pooled before the checkpointer exists
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    checkpointer = BackgroundCheckpointer.for_engine(engine, every=0.05)
    assert checkpointer is not None
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    database = tmp_path / "locks.sqlite3"
    before = database.stat().st_size
    thread = threading.Thread(target=checkpointer.run, daemon=True)
    thread.start()
    try:
        with engine.begin() as conn:  # 2 MB: half the log SQLite's own checkpoint waits for
            conn.exec_driver_sql("CREATE TABLE filler (data BLOB)")
            conn.exec_driver_sql("INSERT INTO filler VALUES (randomblob(2000000))")
        deadline = time.monotonic() + 10
        while database.stat().st_size < before + 2_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert database.stat().st_size >= before + 2_000_000, "the log never reached the file"
    finally:
        checkpointer.stopped = True
        thread.join(5)



def test_a_checkpoint_that_fails_is_logged_and_the_next_one_made(
        tmp_path: Any, monkeypatch: Any, caplog: Any) -> None:
    """The serving process's commits no longer checkpoint, so the checkpointer must outlive
    a turn that fails: it logs it and checkpoints on the next turn."""
    import circles.server

    app = _sqlite_app(tmp_path)
    with app.app_context():
        checkpointer = BackgroundCheckpointer.for_engine(orm.engine, every=0.02)
    assert checkpointer is not None
    calls = [0]

    def fails_once(call: Any, *args: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise OSError("disk went away")
        return call(*args)

    monkeypatch.setattr(circles.server, "blocking", fails_once)
    thread = threading.Thread(target=checkpointer.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        checkpointer.stopped = True
        thread.join(5)
    assert checkpointer.checkpoints > 0
    assert "SQLite checkpoint of" in caplog.text and "disk went away" in caplog.text

def test_under_a_gevent_worker_checkpoints_keep_up_and_leave_the_event_loop_running(
        tmp_path: Any) -> None:
    """Under gunicorn's gevent worker the checkpointer is a greenlet whose SQLite calls run
    in a native thread: a call that blocks there (here a sleep of 0.5 s) leaves a greenlet
    ticking every 10 ms. Four greenlets committing without a pause leave a log a fraction of
    what they wrote (it starts again from its beginning), and all of it in the database
    file. They write for a second and then until the log is under half of what they wrote:
    on a loaded machine the checkpointer's thread may get its turns late, and a log that
    keeps growing with the writes for 30 s fails."""
    out = in_a_gevent_worker(f"""
        import os, time, gevent
        from gevent import monkey
        from circles import create_app
        from circles.extensions import orm
        from circles.server import BackgroundCheckpointer, blocking
        gaps, last = [], [time.monotonic()]
        def tick():
            while True:
                gevent.sleep(0.01)
                now = time.monotonic(); gaps.append(now - last[0]); last[0] = now
        ticker = gevent.spawn(tick)
        blocking(monkey.get_original("time", "sleep"), 0.5)
        ticker.kill()
        print(len(gaps) >= 20 and max(gaps) < 0.2)
        path = "{tmp_path / 'green.sqlite3'}"
        app = create_app({{"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///" + path}})
        with app.app_context():
            orm.create_all()
            engine = orm.engine
        checkpointer = BackgroundCheckpointer.for_engine(engine, every=0.05)
        gevent.spawn(checkpointer.run)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE filler (data BLOB)")
        written, before = [0], os.path.getsize(path)
        started = time.monotonic()
        def writing():
            elapsed = time.monotonic() - started
            return elapsed < 1.0 or (elapsed < 30.0
                                     and os.path.getsize(path + "-wal") >= written[0] / 2)
        def write():
            while writing():
                with engine.begin() as conn:
                    conn.exec_driver_sql("INSERT INTO filler VALUES (randomblob(4096))")
                written[0] += 4096
                gevent.sleep(0)  # a handler's socket I/O between its transactions
        gevent.joinall([gevent.spawn(write) for _ in range(4)])
        print(os.path.getsize(path + "-wal") < written[0] / 2)
        for _ in range(200):
            if os.path.getsize(path) >= before + written[0]:
                break
            gevent.sleep(0.05)
        print(checkpointer.checkpoints > 0, os.path.getsize(path) >= before + written[0])
    """)
    assert out.splitlines() == ["True", "True", "True True"]

def test_sqlite_in_memory_has_no_checkpointer() -> None:
    from circles import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        assert BackgroundCheckpointer.for_engine(orm.engine, every=1.0) is None
