"""gunicorn's settings for Circles, read from the working directory (README, docs/deploy.md).

The command line gives workers, threads and the address; this file holds what every
Circles process needs whatever its address.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded the app: freeze what it loaded, and drain on SIGTERM."""
    from circles.server import settle_loaded_objects
    from realtime.processes import EXTENSION

    worker.log.info("Circles: %d loaded objects kept out of full GC passes",
                    settle_loaded_objects())
    process = worker.wsgi.extensions[EXTENSION]
    stop_accepting = worker.handle_exit

    def drain(sig: int, frame: Any) -> None:
        # gunicorn alone would stop accepting and then wait up to its graceful timeout for
        # open websockets, which never end by themselves; members would sit on a dying
        # process until it is killed and swept. Close them now: they reconnect elsewhere.
        stop_accepting(sig, frame)
        threading.Thread(target=process.drain, name="circles-drain", daemon=True).start()

    signal.signal(signal.SIGTERM, drain)
