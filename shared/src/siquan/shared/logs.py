"""Structured logs: one JSON object per line — time, level, logger, message, the service and
instance, the trace and span ids of the work in progress, and the id of the message being
handled — so a log line leads to its trace and its message.

Nothing personal is ever logged: code logs ids (message, run, application, person key
never), counts and reasons, never resident IDs, names, phone numbers or accounts (a test
scans every log line and span of an end-to-end year for the fixtures' personal data).
"""

from __future__ import annotations

import logging
import os
import sys
from contextvars import ContextVar

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

current_message_id: ContextVar[str | None] = ContextVar("siquan_message_id", default=None)
"""The message the current task is handling (set by the consumer around each handler)."""


class _WorkContext(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service, self._instance = service, str(os.getpid())

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.service = self._service
        record.instance = self._instance
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
        record.span_id = format(context.span_id, "016x") if context.is_valid else None
        record.message_id = current_message_id.get()
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(instance)s "
        "%(trace_id)s %(span_id)s %(message_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False)


def setup_logging(service: str, level: int = logging.INFO) -> None:
    """JSON lines on standard error for the whole process (uvicorn's loggers included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    handler.addFilter(_WorkContext(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # request lines carry paths and queries; requests are traced instead
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
