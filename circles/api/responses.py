"""Documented error answers, so each operation lists exactly the codes it can return."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from circles.api.blueprint import bp

F = TypeVar("F", bound=Callable[..., Any])

WHY = {
    400: "A query parameter or body field is wrong; error.field names it.",
    401: "No token, or a token that is unknown, expired or revoked (WWW-Authenticate: Bearer).",
    404: "Not there, or not yours to see: the two look the same.",
}


def errors(*codes: int) -> Callable[[F], F]:
    """Document the error ``codes`` (besides 401, always possible) the operation answers."""

    def decorate(view: F) -> F:
        for code in sorted({401, *codes}, reverse=True):
            view = bp.alt_response(code, response=HTTPStatus(code).name,
                                   description=WHY[code])(view)
        return view

    return decorate
