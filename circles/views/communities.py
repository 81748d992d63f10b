"""Communities: create, join by invite, roster, vocabulary."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("communities", __name__)
