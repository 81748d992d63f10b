"""How to call each route of the matrix: which world ids fill its URL arguments."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from tests.support.authz_world import World

#: URL argument → where its value comes from: ``ids.<key>``, ``users.<role>`` or a literal.
ARGS: dict[str, str] = {
    "circle_id": "ids.circle",
    "community_id": "ids.community",
    "session_id": "ids.session",
    "user_id": "users.peer",
    "other_id": "users.peer",
    "role_id": "ids.role",
    "pulse_id": "ids.pulse",
    "goal_id": "ids.goal",
    "criterion_id": "ids.criterion",
    "commitment_id": "ids.commitment",
    "contact_id": "ids.contact",
    "intro_id": "ids.intro",
    "notification_id": "ids.notification",
    "tie_id": "ids.tie",
    "item_id": "ids.strength",
    "run_id": "ids.run",
    "code": "ids.invite_code",
    "token": "ids.feed_token",
    "role": "timekeeper",
    "action": "disable",
    "kind": "strength",
    "name": "socket.io.min.js",
    "filename": "circles.css",
    "rest": "no/such/thing",
    "token_id": "ids.api_token",
    "login_id": "ids.foreign_login",
    "choice": "decline",
}


def resolve(world: World, source: str) -> Any:
    if source.startswith("ids."):
        return world.ids[source[4:]]
    if source.startswith("users."):
        return world.users[source[6:]]
    return source


def url_for_rule(app: Flask, rule: Rule, world: World, overrides: dict[str, str] | None = None,
                 replace: dict[str, Any] | None = None) -> str:
    """The rule's URL with world ids (``overrides`` per route; ``replace``: raw values, any
    text, put in place after building)."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        source = (overrides or {}).get(name, ARGS.get(name))
        if source is None:
            raise KeyError(f"{rule.endpoint}: no value for URL argument {name!r}; add it to "
                           "ARGS or to the route's args in the matrix")
        values[name] = resolve(world, source)
    stand_ins = {}
    for n, name in enumerate(replace or {}):
        stand_ins[name] = 987_654_300 + n
        values[name] = stand_ins[name]
    adapter = app.url_map.bind("localhost")
    url = adapter.build(rule.endpoint, values, method=min(rule.methods or {"GET"}))
    for name, stand_in in stand_ins.items():
        url = url.replace(str(stand_in), str((replace or {})[name]))
    return url
