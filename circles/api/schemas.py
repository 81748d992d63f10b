"""What the API answers, as marshmallow schemas that apispec turns into OpenAPI 3.1.

Every field is required (present in every answer); ``allow_none`` fields may be null. The
views build plain dicts from the models, field by field, so nothing confidential can slip
into an answer by being added to a model.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow.validate import Length, OneOf

from circles.api.pagination import PageArgs, page_of
from circles.growth.commitments import REFLECTION_MAX
from circles.models.live import COMMITMENT_STATUSES
from circles.models.sessions import ROLES, SESSION_STATUSES


class MeSchema(ma.Schema):
    id = f.Integer(required=True)
    email = f.String(required=True)
    display_name = f.String(required=True)
    timezone = f.String(required=True)
    organisation = f.String(required=True)
    department = f.String(required=True)
    bio = f.String(required=True)
    created_at = f.AwareDateTime(required=True)


class CommunitySchema(ma.Schema):
    id = f.Integer(required=True)
    name = f.String(required=True)
    description = f.String(required=True)
    my_role = f.String(validate=OneOf(("member", "facilitator")), required=True)
    member_count = f.Integer(required=True)
    created_at = f.AwareDateTime(required=True)


class MemberSchema(ma.Schema):
    """A community member as every member of it sees them (the page's roster)."""

    id = f.Integer(required=True, metadata={"description": "The member's user id."})
    display_name = f.String(required=True)
    organisation = f.String(required=True)
    department = f.String(required=True)
    role = f.String(validate=OneOf(("member", "facilitator")), required=True)
    strengths = f.List(f.String(), required=True, metadata={"description": "Topics they can help with."})
    email = f.String(required=True, allow_none=True, metadata={
        "description": "Only for the community's facilitators (as on the roster page); "
                       "null for everyone else."})


class SeatSchema(ma.Schema):
    id = f.Integer(required=True, metadata={"description": "The member's user id."})
    display_name = f.String(required=True)
    organisation = f.String(required=True)
    department = f.String(required=True)
    joined_at = f.AwareDateTime(required=True)


class CircleSchema(ma.Schema):
    id = f.Integer(required=True)
    community_id = f.Integer(required=True)
    name = f.String(required=True)
    kind = f.String(validate=OneOf(("pair", "group")), required=True)
    created_at = f.AwareDateTime(required=True)
    closed_at = f.AwareDateTime(required=True, allow_none=True)
    members = f.List(f.Nested(SeatSchema), required=True, metadata={"description": "Current members."})


class RoleSchema(ma.Schema):
    role = f.String(validate=OneOf(ROLES), required=True)
    user_id = f.Integer(required=True, allow_none=True, metadata={"description": "null while the role is vacant."})
    display_name = f.String(required=True, allow_none=True)


class SessionSchema(ma.Schema):
    """A session's schedule, place, roles and status (not the live room's contents).
    ``missed``: its time passed and a member said the circle did not meet."""

    id = f.Integer(required=True)
    circle_id = f.Integer(required=True)
    title = f.String(required=True)
    starts_at = f.AwareDateTime(required=True)
    ends_at = f.AwareDateTime(required=True)
    duration_minutes = f.Integer(required=True)
    status = f.String(validate=OneOf(SESSION_STATUSES), required=True)
    started_at = f.AwareDateTime(required=True, allow_none=True)
    ended_at = f.AwareDateTime(required=True, allow_none=True)
    video_url = f.String(required=True, allow_none=True, metadata={
        "description": "The video-call link (\"\" for none); null unless you sit in the circle."})
    location = f.String(required=True, metadata={"description": "Room or address; \"\" for none."})
    roles = f.List(f.Nested(RoleSchema), required=True)


class CommitmentSchema(ma.Schema):
    id = f.Integer(required=True)
    circle_id = f.Integer(required=True)
    session_id = f.Integer(required=True)
    text = f.String(required=True)
    due_on = f.Date(required=True, allow_none=True)
    status = f.String(validate=OneOf(COMMITMENT_STATUSES), required=True)
    reflection = f.String(required=True)
    created_at = f.AwareDateTime(required=True)


class CommitmentUpdateSchema(ma.Schema):
    """How a commitment went; fields left out keep their value."""

    status = f.String(validate=OneOf(COMMITMENT_STATUSES, error="Choose one of: {choices}."))
    reflection = f.String(validate=Length(max=REFLECTION_MAX))
    due_on = f.Date(allow_none=True, metadata={
        "description": "A new due date (today or later); null or absent keeps it."})


class CommitmentListArgs(PageArgs):
    status = f.String(validate=OneOf(
        COMMITMENT_STATUSES, error="Choose one of: {choices}."))


class NodeSchema(ma.Schema):
    id = f.String(required=True, metadata={"description": "A user id, or x<id> for your own outside "
                                                "contacts."})
    ego = f.Boolean(required=True)
    name = f.String(required=True)
    kind = f.String(validate=OneOf(("member", "external")), required=True)
    organisation = f.String(required=True)
    department = f.String(required=True)
    system = f.String(required=True)
    ring = f.Integer(required=True)
    new = f.Boolean(required=True)
    strength = f.Float(required=True, allow_none=True, metadata={"description": "Tie strength to you; null for you."})


class TieSchema(ma.Schema):
    source = f.String(required=True)
    target = f.String(required=True)
    strength = f.Float(required=True)
    strong = f.Boolean(required=True)
    new = f.Boolean(required=True)
    first_met = f.String(required=True, allow_none=True)


class MetricSchema(ma.Schema):
    key = f.String(required=True)
    label = f.String(required=True)
    value = f.Raw(required=True, metadata={"type": ["number", "string", "null"]})
    display = f.String(required=True)
    explanation = f.String(required=True)


class RoundSchema(ma.Schema):
    number = f.Integer(required=True)
    label = f.String(required=True)


class NetworkSchema(ma.Schema):
    ego = f.Integer(required=True)
    round = f.Nested(RoundSchema, required=True)
    nodes = f.List(f.Nested(NodeSchema), required=True)
    ties = f.List(f.Nested(TieSchema), required=True)
    metrics = f.List(f.Nested(MetricSchema), required=True)


CommunityPage = page_of(CommunitySchema, "CommunityPageSchema")
MemberPage = page_of(MemberSchema, "MemberPageSchema")
CirclePage = page_of(CircleSchema, "CirclePageSchema")
SessionPage = page_of(SessionSchema, "SessionPageSchema")
CommitmentPage = page_of(CommitmentSchema, "CommitmentPageSchema")
