"""The reference client's retries (docs/realtime.md, Retries): an unanswered change is sent
again with the same op_id after a pause that doubles with each try, jittered, so the clients
of a slow server do not all re-send at once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from realtime import client as live_client
from realtime.client import LiveClient, LiveUnanswered
from realtime.client_parts import retry_delay
from tests.support.asyncio_thread import run_async


def test_the_pause_doubles_up_to_its_cap_and_is_jittered() -> None:
    assert [retry_delay(k, draw=lambda: 0.5) for k in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]
    assert retry_delay(1, draw=lambda: 0.0) == 0.25
    assert retry_delay(4, draw=lambda: 0.999) == pytest.approx(4 * 1.499)
    assert all(0.25 <= retry_delay(1) < 0.75 for _ in range(50))  # drawn, within ±50 %


def test_a_change_nobody_answers_is_sent_again_with_the_same_op_id_after_each_pause(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    pauses: list[int] = []

    async def unanswered(self: LiveClient, event: str, data: dict[str, Any],
                         timeout: float) -> dict[str, Any]:
        sent.append(dict(data))
        raise live_client._Unanswered(event)

    def pause(attempt: int) -> float:
        pauses.append(attempt)
        return 0.05

    monkeypatch.setattr(LiveClient, "_call_once", unanswered)
    monkeypatch.setattr(live_client, "retry_delay", pause)

    async def run() -> None:
        member = LiveClient("http://127.0.0.1:9", None, 7)
        member.joined.set()
        member._closed = False  # as connect() leaves it
        with pytest.raises(LiveUnanswered):
            await member.call("live:contribute", {"kind": "check_in", "text": "Hi"}, retries=3)

    started = time.monotonic()
    run_async(run())
    assert len(sent) == 4 and len({d["op_id"] for d in sent}) == 1
    assert pauses == [1, 2, 3] and time.monotonic() - started >= 0.15  # it waited each time
