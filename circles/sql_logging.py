"""SQL logging that never carries what members wrote (docs/privacy.md, "Logs").

SQLAlchemy logs statements with their parameters at INFO and every fetched row at DEBUG on
``sqlalchemy.engine``, and puts parameters into the text of a failed statement's exception —
which an error handler then logs. Parameters and rows are note bodies, feedback, pulse
comments: an operator turning on SQL logging to debug must not be reading them.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

#: The messages SQLAlchemy logs row contents and result columns with.
_CONTENT_MESSAGES = ("Row %r", "Col %r")


class _NoRowContents(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in _CONTENT_MESSAGES


_FILTER = _NoRowContents()


def keep_contents_out_of_logs(engine: Engine) -> None:
    """Hide SQL parameters (in log lines and exception texts) and drop logged rows."""
    engine.hide_parameters = True
    for name in ("sqlalchemy.engine", "sqlalchemy.engine.Engine"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
