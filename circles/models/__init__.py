"""Typed SQLAlchemy 2 models, one module per noun; imported here so metadata is complete."""

from circles.models.accounts import LoginSession, User
from circles.models.base import Base, utcnow
from circles.models.circles import Circle, CircleMember
from circles.models.communities import Community, Membership, Topic
from circles.models.formation import FormationRun, Separation
from circles.models.profiles import (
    Availability,
    Boundary,
    LearningGoal,
    Question,
    Strength,
    SuccessCriterion,
)
from circles.models.ties import Tie

__all__ = [
    "Availability",
    "Base",
    "Boundary",
    "Circle",
    "CircleMember",
    "Community",
    "FormationRun",
    "LearningGoal",
    "LoginSession",
    "Membership",
    "Question",
    "Separation",
    "Strength",
    "SuccessCriterion",
    "Tie",
    "Topic",
    "User",
    "utcnow",
]
