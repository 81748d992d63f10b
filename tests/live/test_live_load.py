"""The load benchmark's short versions as ordinary tests: a swarm of real python-socketio
clients against a real server process, with a kill -9, a Redis restart and a flooder.

Only what must hold at any speed is asserted — every client connected, nothing acknowledged
lost, applied twice or stored twice, everyone back after a crash, the flooder cut off; the
latency figures are the benchmark's to print (bench/live_load.py, docs/benchmarks.md).
Each run is shorter than the benchmark's ``--quick`` one: long enough for the load to be
under way before its fault and for everyone to be back after it, which is all the checks need.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bench.live_load import Outcome, options, run
from tests.support.services import require_program

pytestmark = pytest.mark.live


def quick(scenario: str, *extra: str) -> list[Outcome]:
    """One short run of ``scenario``; its app outcomes (the relay's are left out)."""
    found: dict[str, Any] = {}

    def go() -> None:  # a thread of its own: a browser test may hold this thread's loop
        try:
            found["runs"] = run(options([scenario, "--quick", *extra]), calibrate=False)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            found["error"] = exc

    worker = threading.Thread(target=go, name=f"bench-{scenario}")
    worker.start()
    worker.join()
    if "error" in found:
        raise found["error"]
    [outcomes] = found["runs"]
    return [o for o in outcomes if not o.label.startswith("relay")]


def assert_nothing_lost(outcome: Outcome) -> None:
    assert not outcome.connect_failures, outcome.connect_failures
    assert outcome.held == outcome.clients
    assert outcome.sends.ok > 0
    assert (outcome.lost, outcome.applied_twice, outcome.db_twice, outcome.acked_missing) \
        == (0, 0, 0, 0)


def test_a_steady_swarm_loses_nothing() -> None:
    [outcome] = quick("steady", "--no-relay", "--duration", "8")
    assert_nothing_lost(outcome)
    assert outcome.latency  # fan-out was measured


def test_after_kill_9_every_client_is_back_and_nothing_is_lost() -> None:
    [outcome] = quick("crash", "--duration", "12")
    assert_nothing_lost(outcome)
    assert outcome.extra["back"] == outcome.extra["held_before"] == outcome.clients


def test_two_processes_lose_nothing_across_a_redis_restart() -> None:
    require_program("redis-server", "apt-get install redis-server")
    [outcome] = quick("redis", "--duration", "15")
    assert_nothing_lost(outcome)
    assert outcome.extra["health"] == ["ok", "ok"]


def test_a_flooder_is_cut_off_and_the_room_loses_nothing() -> None:
    [outcome] = quick("flood", "--duration", "8")
    assert_nothing_lost(outcome)
    attempts = outcome.extra["flooder"]["attempts"]
    assert attempts and all(a["cut_off_after"] is not None for a in attempts)
