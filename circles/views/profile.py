"""The member's own profile: what they bring, what they are working on, when they are free."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("profile", __name__)
