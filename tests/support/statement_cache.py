"""One cache of compiled SQL statements for every engine of a test process.

SQLAlchemy compiles a statement once per engine and keeps the result in the engine's cache
(and, for the ORM's INSERT/UPDATE/DELETE, in each mapper's cache), keyed by the statement's
cache key *and the engine's dialect object*. Every test makes a new app and so a new engine
with a new dialect: each test compiled every statement it ran from scratch, a quarter of
the CPU of an in-process test on the sample measured (tests/communities/test_communities.py
and tests/members/test_profiles.py: 14.4 s → 10.2 s user).

Here the dialect in the key is replaced by its signature: its class and every plain setting
it holds (flags, versions, paramstyle, callables such as a JSON serializer), so two engines
share a compiled statement only when their dialects would compile it alike — one backend,
one server version, the same options. A cache turned off (``compiled_cache=None``) stays
off. Servers started as processes by the tests (live, gunicorn) are not touched.

One difference from a fresh engine per test: a warning SQLAlchemy gives while compiling
(the cartesian-product linter) is given by the first test of the process that runs the
statement, as it already was for later runs of a statement within one test.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from sqlalchemy import util
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ClauseElement

_PLAIN = (str, int, float, bool, type(None))
_SHARED_BY = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type)
_SIGNATURE = "_circles_tests_signature"
_compiled: util.LRUCache[Any, Any] = util.LRUCache(10_000)


class _SharedView:
    """An engine's (or mapper's) compiled cache as seen through the shared one."""

    __slots__ = ("signature",)

    def __init__(self, signature: tuple[Any, ...]) -> None:
        self.signature = signature

    def get(self, key: tuple[Any, ...]) -> Any:
        return _compiled.get((self.signature, *key[1:]))

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        _compiled[(self.signature, *key[1:])] = value


def _plain(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_plain(item) for item in value)
    return isinstance(value, _PLAIN + _SHARED_BY)


def signature(dialect: Dialect) -> tuple[Any, ...]:
    """What makes ``dialect`` compile as it does: its class and its plain settings (read at
    its first compile, after the first connection told it the server's version)."""
    known: tuple[Any, ...] | None = dialect.__dict__.get(_SIGNATURE)
    if known is None:
        settings = sorted((name, value) for name, value in vars(dialect).items()
                          if _plain(value))
        known = (type(dialect), tuple(settings))
        setattr(dialect, _SIGNATURE, known)
    return known


def share_compiled_statements() -> None:
    """Make every engine of this process look up and keep compiled statements in one cache
    keyed by the dialect's signature (once per process)."""
    original: Callable[..., Any] = ClauseElement._compile_w_cache
    if getattr(original, "shared", False):
        return

    def compile_w_cache(self: ClauseElement, dialect: Dialect, *, compiled_cache: Any,
                        **kw: Any) -> Any:
        if compiled_cache is not None:
            compiled_cache = _SharedView(signature(dialect))
        return original(self, dialect, compiled_cache=compiled_cache, **kw)

    compile_w_cache.shared = True  # type: ignore[attr-defined]
    ClauseElement._compile_w_cache = compile_w_cache  # type: ignore[method-assign]
