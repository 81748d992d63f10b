"""Engine set-up per backend: SQLite that never loses a concurrent write; and rows one query
read for a later step of the same transaction (``keep_for_transaction``)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from circles.sql_logging import keep_contents_out_of_logs

#: One writer lock per SQLite file, shared by every engine of this process that opens it.
_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def writer_lock(path: str) -> threading.Lock:
    """The lock this process's transactions on the SQLite file ``path`` queue on."""
    key = os.path.realpath(path)
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(key, threading.Lock())


class WriterLockedConnection(sqlite3.Connection):
    """A pysqlite connection whose transaction holds its process's writer lock for the file.

    SQLite lets one transaction write at a time. Waiting for it with SQLite's own busy
    handler means sleeping and polling (1, 2, 5, … 100 ms between tries), so under load an
    unlucky thread waits far longer than the transactions ahead of it take. Threads of one
    process instead wait on a lock that wakes the next one the moment a transaction ends;
    SQLite's busy timeout still arbitrates between processes. The lock is released only
    after COMMIT or ROLLBACK has run, by whichever ends the transaction (including the
    pool's reset of a returned connection, and closing).
    """

    lock: threading.Lock | None = None  # set per connection (``configure_engine``)
    timeout_s: float = 0.0
    holds_lock: bool = False

    def begin_immediate(self) -> None:
        """Queue for the writer lock (up to the busy timeout), then ``BEGIN IMMEDIATE``."""
        if self.lock is not None:
            if not self.lock.acquire(timeout=self.timeout_s):
                raise sqlite3.OperationalError("database is locked")
            self.holds_lock = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        self._ending(super().commit)

    def rollback(self) -> None:
        self._ending(super().rollback)

    def close(self) -> None:
        self._ending(super().close)

    def _ending(self, end: Callable[[], None]) -> None:
        try:
            end()
        finally:
            self._release()

    def _release(self) -> None:
        if self.holds_lock and self.lock is not None:
            self.holds_lock = False
            self.lock.release()


def configure_engine(engine: Engine, *, busy_timeout_ms: int) -> None:
    """Make a SQLite engine safe for concurrent writers; other backends are left alone.

    pysqlite's default ("legacy") transaction control starts a transaction only at the first
    write, so two read-modify-write transactions can both read the old value and one update
    is silently lost. Following SQLAlchemy's documented recipe we take over transaction
    control and begin every transaction with ``BEGIN IMMEDIATE``: writers queue (on the
    process's writer lock, then on the database lock up to the busy timeout) instead of
    racing. WAL lets readers of other connections carry on meanwhile.
    """
    keep_contents_out_of_logs(engine)  # every backend: no member's words in SQL logs
    if engine.dialect.name != "sqlite":
        return
    on_disk = engine.url.database not in (None, "", ":memory:")
    lock = writer_lock(str(engine.url.database)) if on_disk else None

    @event.listens_for(engine, "do_connect")
    def _on_do_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["factory"] = WriterLockedConnection

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.lock, dbapi_connection.timeout_s = lock, busy_timeout_ms / 1000
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten with zeros, not left in free space of the file:
        # an erased member's words must not be readable from the file afterwards.
        cursor.execute("PRAGMA secure_delete = ON")
        if on_disk:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.connection.dbapi_connection.begin_immediate()


def empty_write_ahead_log(engine: Engine, *, timeout_s: float = 30.0) -> bool:
    """Copy SQLite's write-ahead log into the database file and truncate it to nothing.

    Until a checkpoint, the log keeps earlier versions of every page written, so text
    deleted (and zeroed, ``secure_delete``) in the database is still in the ``-wal`` file;
    account erasure calls this after its commit. Writers of this process queue on the
    writer lock meanwhile; readers and other processes are waited for by SQLite's busy
    handler. Other backends, and SQLite in memory, have nothing to do. Returns False when
    a reader kept the log from being emptied (the next checkpoint will do it).
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return True
    lock = writer_lock(str(engine.url.database))
    locked = lock.acquire(timeout=timeout_s)
    raw = engine.raw_connection()
    try:
        busy, _log, _copied = raw.driver_connection.execute(  # type: ignore[union-attr]
            "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
        if locked:
            lock.release()
    return bool(busy == 0)


def keep_for_transaction(db: Session, key: str, *values: Any) -> None:
    """Keep ``values`` under ``key`` for the transaction under way only: a wider query read
    them, and a later step that would read them again takes them instead."""
    db.info[key] = (db.get_transaction(), values)


def take_from_transaction(db: Session, key: str) -> tuple[Any, ...] | None:
    """What ``keep_for_transaction`` kept under ``key`` in this same transaction, once."""
    known = db.info.pop(key, None)
    if known is None or known[0] is not db.get_transaction():
        return None
    values: tuple[Any, ...] = known[1]
    return values
