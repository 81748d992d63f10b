"""Engine set-up per backend: SQLite that never loses a concurrent write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from circles.sql_logging import keep_contents_out_of_logs


def configure_engine(engine: Engine, *, busy_timeout_ms: int) -> None:
    """Make a SQLite engine safe for concurrent writers; other backends are left alone.

    pysqlite's default ("legacy") transaction control starts a transaction only at the first
    write, so two read-modify-write transactions can both read the old value and one update
    is silently lost. Following SQLAlchemy's documented recipe we take over transaction
    control and begin every transaction with ``BEGIN IMMEDIATE``: writers queue on the
    database lock (waiting up to the busy timeout) instead of racing. WAL lets readers of
    other connections carry on meanwhile.
    """
    keep_contents_out_of_logs(engine)  # every backend: no member's words in SQL logs
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
