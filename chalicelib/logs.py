"""Structured logs: one JSON line per sign-in, with CloudWatch Embedded Metric Format
counts in the same line, so problems are counted without a single extra API call."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

METRIC_NAMESPACE = "SigninAlerts"
_logger = logging.getLogger("signin_alerts")


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (Lambda's, or a test's capture)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def _configure() -> None:
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
