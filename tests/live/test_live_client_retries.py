"""The reference client's retries (docs/realtime.md, Retries): an unanswered change is sent
again with the same op_id after a pause that doubles with each try, jittered, so the clients
of a slow server do not all re-send at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime import client as live_client
from realtime import client_parts
from realtime.client import LiveClient, LiveUnanswered
from realtime.client_parts import retry_delay


def test_the_pause_doubles_up_to_its_cap_and_is_jittered() -> None:
    assert [retry_delay(k, draw=lambda: 0.5) for k in range(1, 7)] == [0.5, 1, 2, 4, 8, 8]
    assert retry_delay(1, draw=lambda: 0.0) == 0.25
    assert retry_delay(4, draw=lambda: 0.999) == pytest.approx(4 * 1.499)


def test_a_change_nobody_answers_is_sent_again_with_the_same_op_id_after_each_pause(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def unanswered(self: LiveClient, event: str, data: dict[str, Any],
                         timeout: float) -> dict[str, Any]:
        sent.append(dict(data))
        raise live_client._Unanswered(event)

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(LiveClient, "_call_once", unanswered)
    monkeypatch.setattr(live_client.asyncio, "sleep", pause)
    monkeypatch.setattr(client_parts.random, "random", lambda: 0.5)

    async def run() -> None:
        member = LiveClient("http://127.0.0.1:9", None, 7)
        member.joined.set()
        member._closed = False  # as connect() leaves it
        with pytest.raises(LiveUnanswered):
            await member.call("live:contribute", {"kind": "check_in", "text": "Hi"}, retries=3)

    asyncio.run(run())
    assert len(sent) == 4 and len({d["op_id"] for d in sent}) == 1
    assert pauses == [0.5, 1.0, 2.0]
