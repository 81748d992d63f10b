"""What the reference live client (``realtime.client``) works out without a connection: how
long to wait before sending an unanswered or busy-refused change again (docs/realtime.md,
Retries and Busy; the browser's room follows the same rule, ``retryDelay`` in
static/room/rule.js), and a member's private parts as a snapshot shows them."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

#: Seconds before the first retry of an unanswered change, doubling each time up to the cap,
#: each drawn from half to one and a half times that: a slow server is not met by every
#: client re-sending at once (docs/realtime.md, Retries).
RETRY_BACKOFF, RETRY_BACKOFF_CAP = 0.5, 8.0


def retry_delay(attempt: int, *, base: float = RETRY_BACKOFF, cap: float = RETRY_BACKOFF_CAP,
                draw: Callable[[], float] | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, …).

    >>> [retry_delay(k, draw=lambda: 0.5) for k in (1, 2, 3, 6)]
    [0.5, 1.0, 2.0, 8.0]
    """
    return float(min(cap, base * 2 ** (attempt - 1)) * (0.5 + (draw or random.random)()))


def busy_pause(ack: dict[str, Any], *, draw: Callable[[], float] | None = None) -> float:
    """Seconds to wait before sending again an event a busy server refused: its
    ``retry_after``, drawn from half to one and a half times that (docs/realtime.md, Busy).

    >>> busy_pause({"ok": False, "busy": True, "retry_after": 1.0}, draw=lambda: 0.5)
    1.0
    """
    after = ack.get("retry_after")
    seconds = float(after) if isinstance(after, int | float) and after > 0 else RETRY_BACKOFF
    return min(RETRY_BACKOFF_CAP, seconds) * (0.5 + (draw or random.random)())


def private_parts(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A member's private parts as a snapshot shows them (the shape ``live:events`` sends)."""
    summary = snapshot.get("summary") or {}
    return {"feedback_received": list(snapshot.get("feedback", {}).get("received", [])),
            "summary_feedback": summary.get("feedback"),
            "note": (snapshot.get("notes") or {}).get("private")}
