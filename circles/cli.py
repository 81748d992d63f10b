"""``flask`` commands: the demo community and the Socket.IO-aware development server."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from circles import demo
from circles.errors import CirclesError
from circles.extensions import db, orm

demo_cli = AppGroup("demo", help="The demo community.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--seed", default=7, show_default=True, help="Seed for the generated community.")
def load_command(if_empty: bool, seed: int) -> None:
    """Load the demo community and print its logins."""
    if if_empty and not demo.database_is_empty(db()):
        click.echo("Database already has members; demo not loaded.")
    else:
        try:
            demo.load_demo(db(), seed=seed)
        except CirclesError as exc:
            orm.session.rollback()
            raise click.ClickException(exc.message) from exc
        orm.session.commit()
        click.echo("Demo community loaded.")
    logins = demo.demo_logins(db())
    if logins:
        click.echo("Demo logins:")
    for email, password, role in logins:
        click.echo(f"  {role:<12} {email}  password: {password}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve Circles with Socket.IO (threading mode) on the development server."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    socketio = app.extensions["socketio"]
    click.echo(f"Circles is running on http://{host}:{port}")
    # The flask CLI sets this so that a stray app.run() in an imported module does not block
    # a command; here running the server *is* the command, and socketio.run calls app.run.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    # The reloader would fork a second process that loads the app (and its sockets) twice.
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(serve_command)
