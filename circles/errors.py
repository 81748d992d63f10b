"""One hierarchy of domain errors with readable messages, translated once per transport."""

from __future__ import annotations


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
        super().__init__(f"That {what} was not found.")


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
        super().__init__("This session was called off because its circle closed."
                         if session_id is not None else
                         "This circle has closed, so no new sessions can be planned in it.")
        self.circle_id = circle_id
        self.session_id = session_id
        if session_id is not None:
            self.status = 410  # the session is gone for good; planning is a conflict


class SessionCancelled(Conflict):
    """A member opened the live room of a session that was cancelled (its circle is open)."""

    status = 410

    def __init__(self, circle_id: int, session_id: int) -> None:
        super().__init__("This session was cancelled; the circle's page lists the sessions "
                         "still planned.")
        self.circle_id = circle_id
        self.session_id = session_id
