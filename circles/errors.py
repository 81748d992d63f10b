"""One hierarchy of domain errors with readable messages, translated once per transport."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: "Not found" in a whole sentence per kind of thing, so each language can say it its own
#: way (gender and word order differ); anything else is "That page was not found."
NOT_FOUND = {
    "page": _l("That page was not found."),
    "account": _l("That account was not found."),
    "agenda item": _l("That agenda item was not found."),
    "block": _l("That block was not found."),
    "calendar": _l("That calendar was not found."),
    "circle": _l("That circle was not found."),
    "commitment": _l("That commitment was not found."),
    "community": _l("That community was not found."),
    "contact": _l("That contact was not found."),
    "contribution": _l("That contribution was not found."),
    "formation run": _l("That formation run was not found."),
    "goal": _l("That goal was not found."),
    "introduction": _l("That introduction was not found."),
    "invitation": _l("That invitation was not found."),
    "item": _l("That item was not found."),
    "link": _l("That link was not found."),
    "login": _l("That login was not found."),
    "member": _l("That member was not found."),
    "notification": _l("That notification was not found."),
    "pulse": _l("That pulse was not found."),
    "question": _l("That question was not found."),
    "resource": _l("That resource was not found."),
    "role": _l("That role was not found."),
    "session": _l("That session was not found."),
    "swap proposal": _l("That swap proposal was not found."),
    "tie": _l("That tie was not found."),
    "token": _l("That token was not found."),
}


class CirclesError(Exception):
    """Base of every error the domain raises on purpose; ``message`` is shown to people."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CirclesError):
    """The object does not exist *or the caller may not know it exists* (never a 403)."""

    status = 404

    def __init__(self, what: str = "page") -> None:
        super().__init__(str(NOT_FOUND.get(what, NOT_FOUND["page"])))
        self.what = what


class InvalidInput(CirclesError):
    """Input that breaks a rule; ``errors`` maps each field name to what is wrong with it."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in errors.items()))
        self.errors = errors

    @classmethod
    def field(cls, name: str, problem: str) -> InvalidInput:
        return cls({name: problem})


class Conflict(CirclesError):
    """The request is valid but clashes with the current state (already a member, …)."""

    status = 409


class CircleClosed(Conflict):
    """A member asked for something of a circle that has closed (plan a session, open a
    called-off session's live room): they are told in a sentence, never shown a bare 404."""

    def __init__(self, circle_id: int, session_id: int | None = None) -> None:
        super().__init__(_("This session was called off because its circle closed.")
                         if session_id is not None else
                         _("This circle has closed, so no new sessions can be planned in it."))
        self.circle_id = circle_id
        self.session_id = session_id
        if session_id is not None:
            self.status = 410  # the session is gone for good; planning is a conflict


class SessionCancelled(Conflict):
    """A member opened the live room of a session that was cancelled (its circle is open)."""

    status = 410

    def __init__(self, circle_id: int, session_id: int) -> None:
        super().__init__(_("This session was cancelled; the circle's page lists the "
                           "sessions still planned."))
        self.circle_id = circle_id
        self.session_id = session_id
