"""Run a coroutine to completion from a sync test, whatever loop the test's thread has.

Playwright's sync API keeps an event loop running in the main thread for the whole test
session once a browser test has run, so ``asyncio.run`` there fails; a thread of its own
gets a fresh loop every time.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)`` in a new thread; its result, or its exception re-raised."""
    outcome: dict[str, Any] = {}

    async def settled() -> T:
        try:
            return await work
        finally:
            # Clients the work dropped close their HTTP sessions (python-engineio does it in
            # __del__, only while a loop runs): a long-poll's connection is not left for the
            # garbage collector to report in some later test.
            gc.collect()
            await asyncio.sleep(0.05)

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(settled())
        except BaseException as exc:  # noqa: BLE001 - handed back to the test's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="test-asyncio")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
