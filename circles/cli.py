"""``flask`` commands: the demo community."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from circles import demo
from circles.extensions import orm

demo_cli = AppGroup("demo", help="The demo community.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--seed", default=7, show_default=True, help="Seed for the generated community.")
def load_command(if_empty: bool, seed: int) -> None:
    """Load the demo community and print its logins."""
    if if_empty and not demo.database_is_empty(orm.session):
        click.echo("Database already has members; demo not loaded.")
    else:
        demo.load_demo(orm.session, seed=seed)
        orm.session.commit()
        click.echo("Demo community loaded.")
    for email, password, role in demo.demo_logins(orm.session):
        click.echo(f"  {role:<12} {email}  password: {password}")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
