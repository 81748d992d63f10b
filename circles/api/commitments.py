"""My commitments, and saying how one went (the same domain function as the web page)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from circles.api.blueprint import ID, bp, me
from circles.api.pagination import page, paginate
from circles.api.responses import errors
from circles.api.schemas import (
    CommitmentListArgs,
    CommitmentPage,
    CommitmentSchema,
    CommitmentUpdateSchema,
)
from circles.extensions import db
from circles.growth import commitments
from circles.models import Commitment, as_utc


def commitment_json(item: Commitment) -> dict[str, Any]:
    return {"id": item.id, "circle_id": item.circle_id, "session_id": item.session_id,
            "text": item.text, "due_on": item.due_on, "status": item.status,
            "reflection": item.reflection, "created_at": as_utc(item.created_at)}


@bp.get("/commitments", tags=["commitments"])
@bp.arguments(CommitmentListArgs, location="query", as_kwargs=True)
@bp.response(200, CommitmentPage)
@errors(400)
def list_commitments(limit: int, cursor: str | None = None,
                     status: str | None = None) -> dict[str, Any]:
    """Every commitment I made, in any circle, optionally only those with one ``status``."""
    stmt = select(Commitment).where(Commitment.user_id == me().id)
    if status is not None:
        stmt = stmt.where(Commitment.status == status)
    rows, after = paginate(db(), stmt, [Commitment.id], limit=limit, cursor=cursor)
    return page([commitment_json(c) for c in rows], after)


@bp.patch(f"/commitments/<{ID}:commitment_id>", tags=["commitments"])
@bp.arguments(CommitmentUpdateSchema, as_kwargs=True)
@bp.response(200, CommitmentSchema)
@errors(400, 404)
def update_commitment(commitment_id: int, **changes: Any) -> dict[str, Any]:
    """Say how my commitment went (status and a reflection line) or move its date."""
    item = commitments.own_commitment(db(), me(), commitment_id)
    updated = commitments.update_commitment(
        db(), me(), commitment_id, status=changes.get("status", item.status),
        reflection=changes.get("reflection", item.reflection),
        due_on=changes.get("due_on"), today=date.today())
    db().commit()
    return commitment_json(updated)
