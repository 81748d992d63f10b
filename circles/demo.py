"""The demo community a newcomer sees on first run (filled in by the demo loader)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.models import User

DEMO_DOMAIN = "demo.circles.example"
DEMO_PASSWORD = "circles-demo"


def database_is_empty(db: Session) -> bool:
    return db.scalar(select(User.id).limit(1)) is None


def demo_logins(db: Session) -> list[tuple[str, str, str]]:
    """``(email, password, role)`` of a few demo accounts, when the demo is loaded."""
    return []


def load_demo(db: Session, *, seed: int = 7) -> None:
    raise RuntimeError("demo loader not written yet")
