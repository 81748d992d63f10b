"""Me, the members of my communities, and my own network."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select

from circles.api.blueprint import ID, bp, me
from circles.api.pagination import PageArgs, page, paginate
from circles.api.responses import errors
from circles.api.schemas import MemberPage, MeSchema, NetworkSchema
from circles.communities.community import community_for_member
from circles.extensions import db
from circles.models import Membership, Strength, as_utc
from circles.network import ego


@bp.get("/me", tags=["members"])
@bp.response(200, MeSchema)
@errors()
def get_me() -> dict[str, Any]:
    """The member the token belongs to."""
    user = me()
    return {"id": user.id, "email": user.email, "display_name": user.display_name,
            "timezone": user.timezone, "organisation": user.organisation,
            "department": user.department, "bio": user.bio,
            "created_at": as_utc(user.created_at)}


@bp.get(f"/communities/<{ID}:community_id>/members", tags=["communities"])
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, MemberPage)
@errors(400, 404)
def list_members(community_id: int, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """Members of a community I belong to, as its roster page shows them (e-mail addresses
    only to its facilitators)."""
    _, mine = community_for_member(db(), me(), community_id)
    rows, after = paginate(db(), select(Membership).where(
        Membership.community_id == community_id), [Membership.id], limit=limit, cursor=cursor)
    strengths: dict[int, list[str]] = {}
    for user_id, topic in db().execute(
            select(Strength.user_id, Strength.topic)
            .where(Strength.user_id.in_([m.user_id for m in rows]))
            .order_by(Strength.user_id, Strength.position, Strength.id)):
        strengths.setdefault(user_id, []).append(topic)
    facilitating = mine.role == "facilitator"
    return page([{
        "id": m.user_id, "display_name": m.user.display_name,
        "organisation": m.user.organisation, "department": m.user.department,
        "role": m.role, "strengths": strengths.get(m.user_id, []),
        "email": m.user.email if facilitating else None,
    } for m in rows], after)


@bp.get("/network", tags=["network"])
@bp.response(200, NetworkSchema)
@errors()
def get_network() -> dict[str, Any]:
    """My developmental network now: people, ties with their strengths, and the metrics
    (the data of my network page, without my outside contacts' private notes)."""
    data = ego.my_network(db(), me().id)
    return {
        "ego": data["ego"], "round": data["round"],
        "nodes": [{key: node.get(key) for key in (
            "id", "ego", "name", "kind", "organisation", "department", "system", "ring",
            "new", "strength")} for node in data["nodes"]],
        "ties": [{key: edge[key] for key in (
            "source", "target", "strength", "strong", "new", "first_met")}
            for edge in data["edges"]],
        "metrics": [{"key": key, "label": m["label"], "value": _plain(m["value"]),
                     "display": m["display"], "explanation": m["explanation"]}
                    for key, m in data["metrics"].items()],
    }


def _plain(value: Any) -> float | int | str | None:
    """A metric value JSON can carry (NaN, e.g. constraint with no contacts, becomes null)."""
    if isinstance(value, bool) or value is None:
        return None if value is None else int(value)
    if isinstance(value, int | str):
        return value
    number = float(value)
    return None if math.isnan(number) else number
