"""gunicorn's settings for Circles, read from the working directory (README, docs/deploy.md).

The command line gives the address; this file holds what every Circles process needs
whatever its address: the gevent worker and its connections, the worker's start (below) and
a logger that keeps URLs' secrets out of the access and error logs.
"""

from __future__ import annotations

import signal
from typing import Any

from gunicorn import glogging

from circles.redaction import RedactingFilter, redact_text

#: Atoms that are credentials whatever the format: request headers ``{name}i``, response
#: headers ``{name}o``, WSGI environ ``{name}e``. ``q`` is a bare query string.
SECRET_ATOMS = frozenset({"{cookie}i", "{authorization}i", "{set-cookie}o", "{http_cookie}e",
                          "{http_authorization}e", "{query_string}e", "q"})


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, with no sid, query string or capability in any line it writes.

    The access log's atoms are redacted before any ``access_log_format`` sees them — the
    request line ``%(r)s``, path ``%(U)s``, referer ``%(f)s`` and every header or environ
    atom: the path keeps only its non-secret segments (``circles.redaction``), and
    cookies, authorization and bare query strings become ``-``. The error log (e.g.
    "Error handling request /claim/…") passes through the same rule.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactingFilter) for f in log.filters):
                log.addFilter(RedactingFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name in SECRET_ATOMS:
                atoms[name] = "-"
            elif isinstance(value, str):
                atoms[name] = redact_text(value)
        return atoms


logger_class = RedactingLogger

#: One gevent worker per process (``-k gevent -w 1`` on the command line says the same): each
#: socket is a greenlet on the worker's event loop, so an open websocket costs memory, not one
#: of a few threads, and pages and ``/health`` are not queued behind open sockets. The
#: threaded workers hold a thread per websocket for its whole life (docs/deploy.md).
worker_class = "gevent"
#: Every open socket holds one of these for its life; with gunicorn's default (1000) the
#: 1001st member's connection would wait for a free one. The process needs as many file
#: descriptors (``ulimit -n``).
worker_connections = 10_000


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded the app: checkpoint SQLite in a thread of its own, freeze
    what it loaded (and from then on what survives each full GC pass), and drain on SIGTERM."""
    from circles.server import prepare_to_serve
    from realtime.processes import EXTENSION

    worker.log.info("Circles: %d loaded objects kept out of full GC passes",
                    prepare_to_serve(worker.wsgi))
    process = worker.wsgi.extensions[EXTENSION]
    stop_accepting = worker.handle_exit

    def drain(sig: int, frame: Any) -> None:
        # gunicorn alone would stop accepting and then wait up to its graceful timeout for
        # open websockets, which never end by themselves; members would sit on a dying
        # process until it is killed and swept. Close them now: they reconnect elsewhere.
        # A background task of the socket server: a greenlet under the gevent worker, whose
        # signal handlers run in the event loop, where starting a thread (which waits for
        # the thread to start) is a blocking call gevent refuses.
        stop_accepting(sig, frame)
        process.socketio.start_background_task(process.drain)

    signal.signal(signal.SIGTERM, drain)
