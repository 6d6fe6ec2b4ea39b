"""Logs: one JSON object per line on stderr, every line of a request carrying its request id.

A request id comes from the proxy's `X-Request-ID` when it sends a sane one (so nginx's logs and
ours line up), otherwise it is made here; it is sent back in the response's `X-Request-ID` and
shown on the error page, so a user can quote it and the log lines can be found.
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request

logger = logging.getLogger("app.request")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class JsonLines(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, event, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            line["request_id"] = record.request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _record_with_request_id(factory):
    def make(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = g.get("request_id") if has_request_context() else None
        return record

    make.adds_request_id = True
    return make


def tag_records_with_request_id():
    """Every log record made while a request runs carries its id, whichever handler writes it."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "adds_request_id", False):
        logging.setLogRecordFactory(_record_with_request_id(factory))


def configure_logging(level: str):
    """Send every logger's records to stderr as JSON lines (gunicorn's own included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def start_request():
    """Before each request: its id and its start time."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    g.request_started = time.perf_counter()


def finish_request(response):
    """After each request: one line saying what was asked, the answer and how long it took."""
    response.headers["X-Request-ID"] = g.get("request_id", "")
    started = g.get("request_started")
    user = g.get("_login_user")  # only if this request loaded it; no extra query for assets
    fields = {
        "method": request.method, "path": request.path, "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "user_id": getattr(user, "id", None), "remote": request.remote_addr,
    }
    level = logging.DEBUG if request.endpoint == "static" else logging.INFO
    logger.log(level, "request", extra={"fields": fields})
    return response
