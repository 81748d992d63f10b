"""Circle pages: strengths and questions side by side; facilitators form circles by hand."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("circles", __name__)
