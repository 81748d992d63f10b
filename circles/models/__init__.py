"""Typed SQLAlchemy 2 models, one module per noun; imported here so metadata is complete."""

from circles.models.accounts import LoginSession, User
from circles.models.api import ApiToken
from circles.models.base import Base, as_utc, utcnow
from circles.models.circles import Circle, CircleMember
from circles.models.communities import Community, Invitation, Membership, Topic, TopicAlias
from circles.models.ending import ClosingReflection, Departure, RegroupConsent
from circles.models.formation import FormationRun, Separation
from circles.models.goals import CircleGoal, GoalCheckin
from circles.models.harvest import HarvestItem
from circles.models.introductions import Introduction
from circles.models.live import (
    AgendaItem,
    Attendance,
    CirclePhaseOrder,
    Commitment,
    Contribution,
    Feedback,
    LiveEvent,
    LiveProcess,
    Note,
    Presence,
    RoleHandover,
    SessionPhase,
    SessionStage,
)
from circles.models.network import ExternalContact
from circles.models.notifications import Notification, NotificationPreference, OutboxMessage
from circles.models.profiles import (
    Availability,
    Boundary,
    LearningGoal,
    Question,
    Strength,
    SuccessCriterion,
)
from circles.models.pulse import Pulse
from circles.models.renewal import RenewalChoice
from circles.models.safety import Block, ConcernReport
from circles.models.sessions import CircleSession, SessionPlan, SessionRole, SessionSeries
from circles.models.ties import Interaction, Tie

__all__ = [
    "AgendaItem",
    "ApiToken",
    "Attendance",
    "Availability",
    "Base",
    "Block",
    "Boundary",
    "Circle",
    "CircleGoal",
    "CircleMember",
    "CirclePhaseOrder",
    "CircleSession",
    "ClosingReflection",
    "Commitment",
    "Community",
    "ConcernReport",
    "Contribution",
    "Departure",
    "ExternalContact",
    "Feedback",
    "FormationRun",
    "GoalCheckin",
    "HarvestItem",
    "Interaction",
    "Introduction",
    "Invitation",
    "LearningGoal",
    "LiveEvent",
    "LiveProcess",
    "LoginSession",
    "Membership",
    "Note",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "Presence",
    "Pulse",
    "Question",
    "RegroupConsent",
    "RenewalChoice",
    "RoleHandover",
    "Separation",
    "SessionPhase",
    "SessionPlan",
    "SessionRole",
    "SessionSeries",
    "SessionStage",
    "Strength",
    "SuccessCriterion",
    "Tie",
    "Topic",
    "TopicAlias",
    "User",
    "as_utc",
    "utcnow",
]
