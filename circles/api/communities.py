"""The communities I belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from circles.api.blueprint import ID, bp, me
from circles.api.pagination import PageArgs, page, paginate
from circles.api.responses import errors
from circles.api.schemas import CommunityPage, CommunitySchema
from circles.communities.community import community_for_member
from circles.extensions import db
from circles.models import Membership, as_utc


def _community(membership: Membership) -> dict[str, Any]:
    community = membership.community
    count = db().scalar(select(func.count()).select_from(Membership)
                        .where(Membership.community_id == community.id))
    return {"id": community.id, "name": community.name, "description": community.description,
            "my_role": membership.role, "member_count": count or 0,
            "created_at": as_utc(community.created_at)}


@bp.get("/communities", tags=["communities"])
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, CommunityPage)
@errors(400)
def list_communities(limit: int, cursor: str | None = None) -> dict[str, Any]:
    """The communities I belong to, with my role in each."""
    stmt = select(Membership).where(Membership.user_id == me().id)
    rows, after = paginate(db(), stmt, [Membership.community_id], limit=limit, cursor=cursor)
    return page([_community(m) for m in rows], after)


@bp.get(f"/communities/<{ID}:community_id>", tags=["communities"])
@bp.response(200, CommunitySchema)
@errors(404)
def get_community(community_id: int) -> dict[str, Any]:
    """One community I belong to (anyone else's: not found)."""
    _, membership = community_for_member(db(), me(), community_id)
    return _community(membership)
