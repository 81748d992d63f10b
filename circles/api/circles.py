"""My circles and their sessions: schedule, roles and status, never the live room."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from circles.api.blueprint import ID, bp, me
from circles.api.pagination import PageArgs, page, paginate
from circles.api.responses import errors
from circles.api.schemas import CirclePage, CircleSchema, SessionPage, SessionSchema
from circles.communities.circle import circle_for_viewer
from circles.extensions import db
from circles.models import Circle, CircleMember, CircleSession, as_utc
from circles.sessions.scheduling import ends_at, session_for_member


def _moment(value: Any) -> Any:
    return None if value is None else as_utc(value)


def circle_json(circle: Circle) -> dict[str, Any]:
    return {
        "id": circle.id, "community_id": circle.community_id, "name": circle.name,
        "kind": circle.kind, "created_at": as_utc(circle.created_at),
        "closed_at": _moment(circle.closed_at),
        "members": [{"id": seat.user_id, "display_name": seat.user.display_name,
                     "organisation": seat.user.organisation,
                     "department": seat.user.department, "joined_at": as_utc(seat.joined_at)}
                    for seat in circle.current_seats],
    }


def session_json(session: CircleSession, *, member: bool = True) -> dict[str, Any]:
    """A session as the API gives it; its video link only to the circle's own members."""
    return {
        "id": session.id, "circle_id": session.circle_id, "title": session.title,
        "starts_at": as_utc(session.starts_at), "ends_at": ends_at(session),
        "duration_minutes": session.duration_minutes, "status": session.status,
        "started_at": _moment(session.started_at), "ended_at": _moment(session.ended_at),
        "video_url": session.video_url if member else None, "location": session.location,
        "roles": [{"role": r.role, "user_id": r.user_id,
                   "display_name": r.user.display_name if r.user is not None else None}
                  for r in session.roles],
    }


@bp.get("/circles", tags=["circles"])
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, CirclePage)
@errors(400)
def list_circles(limit: int, cursor: str | None = None) -> dict[str, Any]:
    """The open circles I sit in now."""
    stmt = select(Circle).join(CircleMember).where(
        CircleMember.user_id == me().id, CircleMember.left_at.is_(None),
        Circle.closed_at.is_(None))
    rows, after = paginate(db(), stmt, [Circle.id], limit=limit, cursor=cursor)
    return page([circle_json(c) for c in rows], after)


@bp.get(f"/circles/<{ID}:circle_id>", tags=["circles"])
@bp.response(200, CircleSchema)
@errors(404)
def get_circle(circle_id: int) -> dict[str, Any]:
    """A circle I sit in, or one of a community I facilitate, with its current members."""
    return circle_json(circle_for_viewer(db(), me(), circle_id))


@bp.get(f"/circles/<{ID}:circle_id>/sessions", tags=["sessions"])
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, SessionPage)
@errors(400, 404)
def list_sessions(circle_id: int, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """A circle's sessions, earliest first, for whoever may see the circle's page."""
    circle = circle_for_viewer(db(), me(), circle_id)
    stmt = select(CircleSession).where(CircleSession.circle_id == circle.id)
    rows, after = paginate(db(), stmt, [CircleSession.starts_at, CircleSession.id],
                           limit=limit, cursor=cursor)
    member = any(seat.user_id == me().id for seat in circle.current_seats)
    return page([session_json(s, member=member) for s in rows], after)


@bp.get(f"/sessions/<{ID}:session_id>", tags=["sessions"])
@bp.response(200, SessionSchema)
@errors(404)
def get_session(session_id: int) -> dict[str, Any]:
    """One session of a circle I sit in (as its calendar file and live room allow)."""
    return session_json(session_for_member(db(), me(), session_id))
