"""Circles: form and run peer and group co-mentoring circles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from circles.config import load_config
from circles.database import configure_engine
from circles.extensions import csrf, limiter, login_manager, migrate, orm
from circles.ids import IdConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, database, accounts, pages, CLI and Socket.IO."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("CIRCLES_INSTANCE_PATH") or None,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # Before any route exists: every <int:…> of the app is a bounded, ASCII-only id.
    app.url_map.converters["int"] = IdConverter
    load_config(app, test_config)

    orm.init_app(app)
    with app.app_context():
        configure_engine(orm.engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, orm, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from circles import api, languages, security, views

    languages.init_app(app)  # the language of each page, notice and e-mail
    from circles.cli import commands

    views.init_app(app)
    api.init_app(app)  # the JSON API under /api/v1 (docs/api.md)
    security.init_app(app)  # headers on every response, CSP nonce, /csp-report
    commands.init_app(app)

    # The composition root is the one place the app is wired to its realtime edge;
    # domain modules in circles/ never import realtime/.
    import realtime

    realtime.init_app(app)
    return app
