"""Fresh, empty databases for in-process tests, made without rebuilding the schema each time.

About 2,000 tests take the ``app`` fixture, each on SQLite and on PostgreSQL. Building the
schema for every one of them (``drop_all`` + ``create_all``: ~70 tables with their indexes)
was most of what those tests cost: on PostgreSQL every DDL statement is a round trip and a
catalogue update. Instead:

- **SQLite**: the schema is built once per test process into a template file; each test gets
  a copy of the file (a millisecond).
- **PostgreSQL**: the schema is built once per test process in its private schema; each test
  starts by emptying every table in one ``TRUNCATE … RESTART IDENTITY CASCADE`` (identities
  restart, so ids begin at 1 as in a new database). A test that changes the schema itself (the
  migration tests drop tables and run Alembic) is noticed by a fingerprint of the catalogue,
  and the next test rebuilds the schema as before.

Creating the app stays per test; werkzeug compiles two URL builders per route with ``ast`` and
``compile`` for every new app, identical for identical rules, so they are cached here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from werkzeug.routing.rules import Rule

from circles.extensions import orm

_SQLITE_TEMPLATE: dict[str, Path] = {}
_POSTGRES_FINGERPRINT: dict[str, str] = {}

_FINGERPRINT_SQL = text(
    "SELECT md5(coalesce(string_agg(table_name || '.' || column_name || ':' || data_type, ','"
    " ORDER BY table_name, column_name), '')) || ':' || (SELECT count(*) FROM pg_indexes"
    " WHERE schemaname = current_schema())"
    " FROM information_schema.columns WHERE table_schema = current_schema()")


def cache_url_builders() -> None:
    """Share werkzeug's compiled URL builders between apps: a builder is a pure function of the
    rule's parts and defaults (converters are read from the bound rule when it runs)."""
    original: Callable[..., Any] = Rule._compile_builder
    if getattr(original, "cached", False):
        return
    builders: dict[tuple[Any, ...], Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        key = (tuple(self._trace), append_unknown,
               tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
               tuple(sorted((k, type(c).__name__) for k, c in self._converters.items())))
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    compile_builder.cached = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


def sqlite_file(make_app: Callable[[str], Any], folder: Path, target: Path) -> None:
    """Put an empty database with the whole schema at ``target`` (a copy of this process's
    template, built on first use in ``folder`` by an app from ``make_app(url)``)."""
    template = _SQLITE_TEMPLATE.get("path")
    if template is None:
        template = folder / "template.sqlite3"
        app = make_app(f"sqlite:///{template}")
        with app.app_context():
            orm.create_all()
            orm.session.remove()
            orm.engine.dispose()
        _SQLITE_TEMPLATE["path"] = template
    shutil.copyfile(template, target)


def _fingerprint(conn: Connection) -> str:
    return str(conn.execute(_FINGERPRINT_SQL).scalar_one())


def empty_postgres(url: str) -> None:
    """Leave this process's schema at ``url`` with every table present and empty (inside the
    app context of an app on that database)."""
    with orm.engine.begin() as conn:
        known = _POSTGRES_FINGERPRINT.get(url)
        if known is not None and _fingerprint(conn) == known:
            tables = ", ".join(f'"{table.name}"' for table in orm.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
    orm.drop_all()
    orm.create_all()
    with orm.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _POSTGRES_FINGERPRINT[url] = _fingerprint(conn)
