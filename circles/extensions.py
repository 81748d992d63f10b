"""Flask extensions, created unbound here and bound to an app by the factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from circles.models.base import Base

if TYPE_CHECKING:
    from circles.models import User

# The extension is ``orm``; "db" is the name of the SQLAlchemy session passed to domain code.
orm = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def db() -> Session:
    """This request's SQLAlchemy session: the real ``Session`` behind the scoped proxy,
    which is what domain functions are typed to take."""
    return orm.session()


def current_member() -> User:
    """The member this request or socket is logged in as: the real ``User`` behind
    Flask-Login's proxy, which is what domain functions are typed to take."""
    member: User = current_user._get_current_object()
    return member
