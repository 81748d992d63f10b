"""The live room's ground rules, shared by every live operation.

Each operation loads its session through ``session_for_member`` (a non-member gets the same
NotFound as a missing id), checks the role rule, validates the payload field by field, bumps
``CircleSession.version`` once and returns a ``Change``: what the edge broadcasts to the
session's room and, for private things, to single members.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Exists, Select, and_, bindparam, exists, func, inspect, select
from sqlalchemy.orm import Session, scoped_session, selectinload

from circles.database import keep_for_transaction, take_from_transaction
from circles.errors import Conflict, InvalidInput, NotFound
from circles.ids import is_id
from circles.languages import either, number, term
from circles.members import logins
from circles.models import (
    CircleMember,
    CircleSession,
    SessionPhase,
    SessionRole,
    SessionStage,
    User,
    as_utc,
)

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: How long after its end a session still takes feedback (from its page).
LATE_FEEDBACK_DAYS = 7
ROLE_NAMES = {"facilitator": _l("the facilitator"), "timekeeper": _l("the timekeeper"),
              "note_taker": _l("the note-taker")}


@dataclass
class Change:
    """The outcome of one live operation, for the edge to commit, broadcast and ack.

    ``change`` goes to everyone in the session's room (None: nothing to tell the room);
    ``private`` pairs go to one member each; ``result`` is added to the caller's ack.
    """

    session_id: int
    version: int
    change: dict[str, Any] | None
    private: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    #: Set by ``live_log.record``: a change must be in the log before it is broadcast.
    recorded: bool = False



def iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat(timespec="milliseconds")


# --- loading with membership checked -----------------------------------------------------

#: ``db.info`` key of the session row read with the login (``read_with_login``).
_READ = "circles.live.session_read"
_Row = TypeVarTuple("_Row")


def member_ids(db: Session, circle_id: int) -> list[int]:
    """Current members of a circle, in the order they joined it."""
    return list(db.scalars(
        select(CircleMember.user_id)
        .where(CircleMember.circle_id == circle_id, CircleMember.left_at.is_(None))
        .order_by(CircleMember.joined_at, CircleMember.id)
    ))


def is_member(db: Session, user_id: int, circle_id: int) -> bool:
    return db.scalar(select(CircleMember.id).where(
        CircleMember.circle_id == circle_id, CircleMember.user_id == user_id,
        CircleMember.left_at.is_(None)).limit(1)) is not None


def session_for_member(db: Session, user_id: int, session_id: object, *,
                       lock: bool = True) -> CircleSession:
    """The session, locked for this change, if ``user_id`` sits in its circle now.

    The row lock serialises version bumps on PostgreSQL (SQLite's ``BEGIN IMMEDIATE``
    already does). One query reads the session, checks the membership and loads the active
    phase and its active stage, which ``current_phase`` and ``current_stage`` then answer
    from for the rest of the transaction: most changes need them, and each query is a round
    trip to PostgreSQL (the phase's other stages are read only where needed).
    That query was made already when the edge read it with the login (``read_with_login``).
    """
    wanted = ident("session_id", session_id)
    row = _read_earlier(db, user_id, wanted) if lock else None
    if row is None:
        row = db.execute(_session_query(lock), {"session_id": wanted, "user_id": user_id}
                         ).first()
    if row is None:
        raise NotFound("session")
    session, phase, stage, held = row
    _remember_active(db, session.id, phase, stage, (user_id, held))
    return session


def read_with_login(db: Session, token_hash: str, session_id: object) -> bool:
    """Read a login and the session its member is about to change in one query: the login
    as ``load_login`` reads it, the session as ``session_for_member`` does (locked, the
    membership checked, the active phase and stage). Both answer from it, in this
    transaction, instead of asking again.

    Nothing is decided here. Whether the login is still good (idle and absolute lifetime)
    is ``load_login``'s question; without a row — a login revoked, a session missing or
    not the member's, an id that is no id — each reads again as if this query had not
    been made, and answers as it always does. True when a row was read.
    """
    if not is_id(session_id):
        return False
    row = db.execute(_login_session_query(), {"token_hash": token_hash,
                                              "session_id": session_id}).first()
    if row is None:
        return False
    user, login, session, phase, stage, held = row
    logins.remember_read(db, token_hash, user, login)
    keep_for_transaction(_real(db), _READ, user.id, session.id, session, phase, stage, held)
    return True


def _read_earlier(db: Session, user_id: int, session_id: int
                  ) -> tuple[CircleSession, SessionPhase | None, SessionStage | None,
                             str | None] | None:
    """The session row ``read_with_login`` read for this member in this transaction, once."""
    kept = take_from_transaction(_real(db), _READ)
    if kept is None or kept[:2] != (user_id, session_id):
        return None
    return kept[2], kept[3], kept[4], kept[5]


def _caller_roles(member: Any) -> Any:
    """The roles ``member`` (a bound id, or a column of the query) holds in the session, as
    one space-separated string (NULL for none): read with the session, so a role holder's
    change does not ask for the session's roles apart."""
    return (select(func.aggregate_strings(SessionRole.role, " "))
            .where(SessionRole.session_id == CircleSession.id, SessionRole.user_id == member)
            .scalar_subquery())


def _membership(member: Any) -> Exists:
    """Whether ``member`` (a bound id, or a column of the query) sits in the session's
    circle now."""
    return exists().where(CircleMember.circle_id == CircleSession.circle_id,
                          CircleMember.user_id == member, CircleMember.left_at.is_(None))


@functools.cache
def _session_query(lock: bool) -> Select[CircleSession, SessionPhase, SessionStage, str | None]:
    """``session_for_member``'s query, built once: building it and working out its cache key
    took half of its time (it runs on every live event)."""
    query = _with_active_stage(
        select(CircleSession, SessionPhase, SessionStage, _caller_roles(bindparam("user_id")))
        .where(CircleSession.id == bindparam("session_id"), _membership(bindparam("user_id"))))
    if lock:
        query = query.with_for_update(of=CircleSession)
    return query.execution_options(populate_existing=True)


@functools.cache
def _login_session_query() -> Select[Any]:
    """``read_with_login``'s query, built once: the login's query joined to the session of
    ``session_for_member``'s (an inner join, so ``FOR UPDATE OF`` is allowed on it)."""
    return _with_active_stage(
        logins.login_select(CircleSession, SessionPhase, SessionStage, _caller_roles(User.id))
        .join(CircleSession, and_(CircleSession.id == bindparam("session_id"),
                                  _membership(User.id)))
    ).with_for_update(of=CircleSession).execution_options(populate_existing=True)


def _with_active_stage(query: Select[*_Row]) -> Select[*_Row]:
    """``query`` joined to the session's active phase and that phase's active stage (one row:
    the phase's other stages are read only by what needs them, through ``phase.stages``)."""
    return (query.outerjoin(SessionPhase, and_(SessionPhase.session_id == CircleSession.id,
                                               SessionPhase.status == "active"))
            .outerjoin(SessionStage, and_(SessionStage.phase_id == SessionPhase.id,
                                          SessionStage.status == "active")))


_ACTIVE_PHASE = "circles.live.active_phase"


def _real(db: Session) -> Session:
    """The ``Session`` itself (tests may hand domain code the scoped proxy)."""
    return db() if isinstance(db, scoped_session) else db


def _remember_active(db: Session, session_id: int, phase: SessionPhase | None,
                     stage: SessionStage | None, held: tuple[int, str | None]) -> None:
    """Keep the active phase and its active stage read with the session, and the roles its
    reader holds (``held``: their id and ``_caller_roles``), for this transaction only."""
    db = _real(db)
    known = db.info.get(_ACTIVE_PHASE)
    transaction = db.get_transaction()
    if known is None or known[0] is not transaction:
        stages: dict[int, tuple[SessionPhase | None, SessionStage | None]] = {}
        roles: dict[tuple[int, int], frozenset[str]] = {}
        known = db.info[_ACTIVE_PHASE] = (transaction, stages, roles)
    known[1][session_id] = (phase, stage)
    known[2][session_id, held[0]] = frozenset((held[1] or "").split())


def _remembered(db: Session, session_id: int
                ) -> tuple[SessionPhase | None, SessionStage | None]:
    """The active phase and stage read in this transaction, each if it is still active."""
    db = _real(db)
    known = db.info.get(_ACTIVE_PHASE)
    if known is None or known[0] is not db.get_transaction():
        return None, None
    phase, stage = known[1].get(session_id, (None, None))
    if phase is None or phase.status != "active":
        return None, None
    if stage is None or stage.status != "active" or stage.phase_id != phase.id:
        return phase, None
    return phase, stage


def require_live(session: CircleSession) -> None:
    if session.status != "live":
        raise Conflict(_("The session is not live (it is %(status)s).",
                         status=term(session.status)))


def feedback_open_until(session: CircleSession) -> datetime | None:
    """Until when an ended session still takes feedback (None: it has not ended)."""
    if session.status != "ended" or session.ended_at is None:
        return None
    return as_utc(session.ended_at) + timedelta(days=LATE_FEEDBACK_DAYS)


def bump(session: CircleSession) -> int:
    """Count one change to the session's live state; the new version is returned."""
    session.version += 1
    return session.version


# --- roles --------------------------------------------------------------------------------


def holder(session: CircleSession, role: str) -> int | None:
    return next((r.user_id for r in session.roles if r.role == role), None)


def _held(session: CircleSession, user_id: int) -> frozenset[str]:
    """The roles ``user_id`` holds in the session: as read with it in this transaction while
    nothing has loaded (and so perhaps changed) the session's roles since, else from them."""
    state = inspect(session)
    if "roles" in state.unloaded and state.session is not None:
        known = state.session.info.get(_ACTIVE_PHASE)
        if known is not None and known[0] is state.session.get_transaction():
            remembered: frozenset[str] | None = known[2].get((session.id, user_id))
            if remembered is not None:
                return remembered
    return frozenset(r.role for r in session.roles if r.user_id == user_id)


def require_role(session: CircleSession, user_id: int, roles: tuple[str, ...],
                 action: str) -> None:
    """Refuse ``action`` unless ``user_id`` holds one of ``roles`` in this session."""
    if _held(session, user_id) & set(roles):
        return
    who = either([str(ROLE_NAMES[role]) for role in roles])
    raise Conflict(_("Only %(who)s can %(action)s.", who=who, action=action))


# --- where the session stands -------------------------------------------------------------


def phases(db: Session, session_id: int) -> list[SessionPhase]:
    """The session's phases in order, with their stages (two queries, not one per phase)."""
    return list(db.scalars(select(SessionPhase).where(SessionPhase.session_id == session_id)
                           .options(selectinload(SessionPhase.stages))
                           .order_by(SessionPhase.position)))


def current_phase(db: Session, session_id: int) -> SessionPhase | None:
    remembered, _stage = _remembered(db, session_id)
    if remembered is not None:
        return remembered
    return next((p for p in phases(db, session_id) if p.status == "active"), None)


def current_stage(db: Session, session_id: int) -> SessionStage | None:
    """The active stage of the active phase: the one read with the session when it still
    is, without reading the phase's other stages."""
    phase, stage = _remembered(db, session_id)
    if stage is not None:
        return stage
    phase = phase or current_phase(db, session_id)
    if phase is None:
        return None
    return next((s for s in phase.stages if s.status == "active"), None)


def require_phase(db: Session, session: CircleSession, *kinds: str) -> SessionPhase:
    """The active phase, which must be one of ``kinds`` for this action."""
    require_live(session)
    phase = current_phase(db, session.id)
    if phase is None or phase.kind not in kinds:
        raise Conflict(_("That belongs to the %(phase)s phase, which is not under way.",
                         phase=either([term(kind) for kind in kinds])))
    return phase


# --- payload fields -----------------------------------------------------------------------


def ident(name: str, value: object, what: str | None = None) -> int:
    """A positive integer id. One larger than any column holds (``circles.ids``) names
    nothing: it is answered like a missing ``what`` (the field's name without ``_id``)
    before any query sees it, since 2**63 does not even fit SQLite's integer."""
    noun = what or name.removesuffix("_id").replace("_", " ")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput.field(name, _("Name the %(noun)s by its id, a positive whole number.",
                                         noun=noun))
    if not is_id(value):
        raise NotFound(noun)
    return value


def integer(name: str, value: object, *, low: int, high: int, unit: str | None = None) -> int:
    """A whole number from ``low`` to ``high``; the refusal names ``unit`` (the one the
    person typed: "minutes"), never the field."""
    if (isinstance(value, bool) or not isinstance(value, int)
            or not low <= value <= high):
        raise InvalidInput.field(name, _("Give a whole number of %(unit)s from %(low)s to "
                                         "%(high)s.", unit=unit, low=low, high=high) if unit
                                 else _("Give a whole number from %(low)s to %(high)s.",
                                        low=low, high=high))
    return value


def flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput.field(name, _("Give true or false."))
    return value


def text(name: str, value: object, *, max_len: int, what: str, required: bool = True) -> str:
    """Trimmed text of at most ``max_len`` characters (required unless told otherwise).
    ``what`` names it for people ("the title"): refusals are sentences without field names."""
    if not isinstance(value, str):
        raise InvalidInput.field(name, _("Give %(what)s as text.", what=what))
    value = whole_characters(name, value, what).strip()
    if required and not value:
        raise InvalidInput.field(name, _("%(what)s cannot be empty.",
                                         what=f"{what[0].upper()}{what[1:]}"))
    if len(value) > max_len:
        raise InvalidInput.field(name, _("Keep %(what)s to %(max)s characters (it has "
                                         "%(length)s).", what=what, max=number(max_len),
                                         length=number(len(value))))
    return value


def whole_characters(name: str, value: str, what: str = "") -> str:
    """``value``, unless it holds a lone surrogate (JSON's "\\ud800"): no UTF-8 exists for
    one, so the database driver would raise on writing it."""
    if LONE_SURROGATE.search(value):
        raise InvalidInput.field(name, _("Send real characters: %(what)s holds a broken one.",
                                         what=what or _("this text")))
    return value


def choice(name: str, value: object, options: tuple[str, ...], what: str = "") -> str:
    if not isinstance(value, str) or value not in options:
        raise InvalidInput.field(name, _("Choose %(what)s: %(options)s.",
                                         what=what or _("one of"), options=", ".join(options)))
    return value
