"""JSON logs with the service, trace and request ids on every line."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from adly_kit.redaction import redact

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class _Correlation(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        span = trace.get_current_span().get_span_context()
        record.service = self.service
        record.trace_id = format(span.trace_id, "032x") if span.is_valid else None
        record.span_id = format(span.span_id, "016x") if span.is_valid else None
        record.request_id = request_id.get()
        return True


class RedactingFormatter(JsonFormatter):
    """The finished line masked: message, extras and traceback alike."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # The development mail transport's line is the mail itself, read back by `adly-dev
        # mail` (adly_kit.mail.log_message); production refuses that transport.
        return line if record.name == "adly_kit.mail" and hasattr(record, "mail_body") else redact(line)


def setup_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_Correlation(service))
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(trace_id)s %(span_id)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request's full URL at INFO, query string included: WooCommerce's
    # consumer_key/consumer_secret and other credentials in a URL would reach the logs.
    for noisy in ("aiokafka", "kafka", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
