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
