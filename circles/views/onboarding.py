"""Bulk onboarding: a facilitator imports members and existing ties from CSV."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("onboarding", __name__)
