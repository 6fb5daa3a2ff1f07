"""Structured logs: one JSON line per sign-in, with CloudWatch Embedded Metric Format
counts in the same line, so problems are counted without a single extra API call.

And no secret in any log line, whoever writes it: the libraries that see secrets
(slack_sdk the webhook URL and bot token; botocore, at DEBUG, SSM's decrypted answers)
are kept at WARNING, and every record any logger makes has the secrets the app has
read (`hide`) and anything shaped like a Slack secret replaced before a handler sees it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

METRIC_NAMESPACE = "SigninAlerts"
_logger = logging.getLogger("signin_alerts")

# Loggers of libraries that handle secrets: never below WARNING, whatever the root says.
LIBRARY_LOGGERS = ("slack_sdk", "slack", "urllib3", "requests", "botocore", "boto3", "s3transfer")
REDACTED = "[redacted]"
# Slack secrets by shape, for one that was never handed to `hide` (a value in an error
# raised before it was read through the settings).
_SECRET_SHAPES = re.compile(
    r"xox[a-z]-[A-Za-z0-9-]+"
    r"|hooks\.slack\.com/[^\s'\"<>]*"
    r"|/services/[^\s/'\"<>]+/[^\s/'\"<>]+/[^\s'\"<>]+",  # a webhook's path, any host
    re.IGNORECASE,
)
_secrets: set[str] = set()
_base_factory: Callable[..., logging.LogRecord] | None = None


def hide(secret: str) -> str:
    """Remember a secret so no log record ever shows it; returns it unchanged."""
    if len(secret) >= 4:  # a shorter one would blank unrelated text, and guards nothing
        _secrets.add(secret)
    protect()
    return secret


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SECRET_SHAPES.sub(REDACTED, text)


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: keep it as made
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info:
        # Formatters print exc_text when set: the traceback, redacted once, here.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def protect() -> None:
    """Quieten the libraries' loggers and redact every record; idempotent."""
    global _base_factory
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if library.level == logging.NOTSET or library.level < logging.WARNING:
            library.setLevel(logging.WARNING)
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacted_record)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (Lambda's, or a test's capture)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def _configure() -> None:
    protect()
    if not _logger.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        if _logger.level == logging.NOTSET:  # a caller (the demo) may have quietened it
            _logger.setLevel(logging.INFO)
        _logger.propagate = False


def emit(
    fields: Mapping[str, Any], *, metrics: Mapping[str, int] | None = None, at_ms: int = 0
) -> str:
    """Write one JSON line and return it. `metrics` become CloudWatch metrics by EMF."""
    _configure()
    line: dict[str, Any] = dict(fields)
    if metrics:
        line.update(metrics)
        line["_aws"] = {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": METRIC_NAMESPACE,
                    "Dimensions": [[]],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in metrics],
                }
            ],
        }
    text = json.dumps(line, default=str, ensure_ascii=False)
    _logger.info(text)
    return text
