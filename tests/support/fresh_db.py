"""Fresh, empty databases for in-process tests, made without rebuilding the schema each time.

About 2,000 tests take the ``app`` fixture, each on SQLite and on PostgreSQL. Building the
schema for every one of them (``drop_all`` + ``create_all``: ~70 tables with their indexes)
was most of what those tests cost: on PostgreSQL every DDL statement is a round trip and a
catalogue update. Instead:

- **SQLite**: the schema is built once per test process into a template file; each test gets
  a copy of the file (a millisecond).
- **PostgreSQL**: the schema is built once per test process in its private schema; each test
  starts by emptying every table and restarting every sequence (so ids begin at 1 as in a new
  database) in one ``DO`` block: a ``DELETE`` per table, children first, and ``setval`` per
  sequence. A test leaves a handful of rows, and deleting them costs a few milliseconds, where
  ``TRUNCATE … RESTART IDENTITY CASCADE`` gave all 52 tables and their indexes new files and
  took 0.5–0.75 s a test (about 1,000 tests run on PostgreSQL). A test that changes the schema
  itself (the migration tests drop tables and run Alembic) is noticed by a fingerprint of the
  catalogue, and the next test rebuilds the schema as before.

Creating the app stays per test. Things every new app compiled again, identical for every
app, are shared between the apps of a test process instead: the parse of each URL rule (its
parts and regexes: most of what the ~150 routes cost a new app's URL map), werkzeug's two URL
builders per route (``ast`` and ``compile``), and Jinja's compiled templates — each app has
its own Jinja environment, which lexed, parsed and compiled every template it rendered from
source (a fifth of an in-process test's CPU). Jinja's bytecode cache is keyed by the template's name and a
checksum of its source; the options that change the compiled code are added to the key.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy import text
from sqlalchemy.engine import Connection
from werkzeug.routing.rules import Rule

from circles.extensions import orm

_SQLITE_TEMPLATE: dict[str, Path] = {}
_POSTGRES_FINGERPRINT: dict[str, str] = {}

_FINGERPRINT_SQL = text(
    "SELECT md5(coalesce(string_agg(c.relname || '.' || a.attname || ':'"
    " || format_type(a.atttypid, a.atttypmod), ',' ORDER BY c.relname, a.attname), ''))"
    " || ':' || (SELECT count(*) FROM pg_class i WHERE i.relkind = 'i'"
    " AND i.relnamespace = current_schema()::regnamespace)"
    " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
    " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
    " AND a.attnum > 0 AND NOT a.attisdropped")


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


def cache_url_rules() -> None:
    """Share the parse of each URL rule between apps: ``Rule.compile`` turns the rule's text
    into parts (with their regexes), a trace and converters, a pure function of the text, the
    subdomain or host, ``merge_slashes`` and the converter classes of the map. A rule met
    before gets copies of the parts and trace, and converters made anew for its own map from
    the arguments recorded the first time; the builders come as in ``Rule.compile``."""
    original: Callable[..., Any] = Rule.compile
    if getattr(original, "cached", False):
        return
    parsed: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def compile_rule(self: Rule) -> None:
        url_map = self.map
        assert url_map is not None, "rule not bound"
        domain = (self.host if url_map.host_matching else self.subdomain) or ""
        key = (type(self), self.rule, domain, url_map.host_matching, self.merge_slashes,
               frozenset(url_map.converters.items()))
        known = parsed.get(key)
        if known is None:
            parsed[key] = _parse_recorded(self, original)
            return
        parts, trace, converters = known
        self._parts, self._trace = list(parts), list(trace)
        self._converters = {variable: self.get_converter(variable, *made)
                            for variable, made in converters}
        self.arguments.update(self._converters)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    compile_rule.cached = True  # type: ignore[attr-defined]
    Rule.compile = compile_rule  # type: ignore[method-assign]


def _parse_recorded(rule: Rule, compile_rule: Callable[[Rule], None]) -> tuple[Any, ...]:
    """Compile ``rule`` as werkzeug does, noting the name and arguments of every converter it
    makes; return its parts, trace and those converters."""
    made: list[tuple[str, tuple[Any, ...]]] = []

    def get_converter(variable: str, name: str, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        made.append((variable, (name, args, dict(kwargs))))
        return type(rule).get_converter(rule, variable, name, args, kwargs)

    rule.get_converter = get_converter  # type: ignore[method-assign, assignment]
    try:
        compile_rule(rule)
    finally:
        del rule.get_converter
    return tuple(rule._parts), tuple(rule._trace), tuple(made)


class _SharedTemplates(BytecodeCache):
    """Compiled templates kept in this process's memory for every Jinja environment alike."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None,
                   source: str) -> Bucket:
        options = (environment.block_start_string, environment.variable_start_string,
                   environment.comment_start_string, environment.line_statement_prefix,
                   environment.trim_blocks, environment.lstrip_blocks,
                   environment.newline_sequence, environment.keep_trailing_newline,
                   environment.optimized, tuple(sorted(environment.extensions)))
        return super().get_bucket(environment, f"{name}|{options!r}", filename, source)

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


def cache_compiled_templates() -> None:
    """Give every app's Jinja environment made in this process one shared bytecode cache."""
    original: Callable[..., Any] = Flask.create_jinja_environment
    if getattr(original, "cached", False):
        return
    shared = _SharedTemplates()

    def create_jinja_environment(self: Flask) -> Any:
        environment = original(self)
        environment.bytecode_cache = shared
        return environment

    create_jinja_environment.cached = True  # type: ignore[attr-defined]
    Flask.create_jinja_environment = create_jinja_environment  # type: ignore[method-assign]


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
            conn.execute(_emptying())
            return
    orm.drop_all()
    orm.create_all()
    with orm.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _POSTGRES_FINGERPRINT[url] = _fingerprint(conn)


def _emptying() -> Any:
    """One ``DO`` block that deletes every row, children's tables first, and restarts every
    sequence of the current schema at 1."""
    deletes = " ".join(f'DELETE FROM "{table.name}";'
                       for table in reversed(orm.metadata.sorted_tables))
    return text(
        "DO $$DECLARE s regclass; BEGIN " + deletes
        + " FOR s IN SELECT c.oid FROM pg_class c WHERE c.relkind = 'S'"
          " AND c.relnamespace = current_schema()::regnamespace"
          " LOOP PERFORM setval(s, 1, false); END LOOP; END$$")
