"""Finding an alert that may already be in the channel.

Slack has no idempotency key for `chat.postMessage` and no search by metadata. When a
post fails ambiguously (the connection dropped after Slack read the request, a
timeout while waiting for the answer, a 5xx), the message may be in the channel. So
every alert posted with the Web API carries its CloudTrail eventID in its `metadata`,
and before posting again the notifier reads `conversations.history` in a narrow window
(`oldest`/`latest`, `include_all_metadata`) for it: found, it is delivered (its ts is
the reference); not found, it is posted. A webhook cannot read its channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALERT_EVENT_TYPE = "signin_alert"
# Seconds either side of the window in which the earlier post can have been made: the
# Lambda's clock and Slack's message timestamps may disagree a little.
WINDOW_MARGIN_SECONDS = 30.0
# conversations.history pages read at most (200 messages each) before giving up and
# posting: a window of seconds or minutes in one channel holds far fewer.
MAX_PAGES = 5
PAGE_SIZE = 200


def alert_metadata(alert_id: str) -> dict[str, Any]:
    """Slack message metadata naming the alert (the CloudTrail eventID)."""
    return {"event_type": ALERT_EVENT_TYPE, "event_payload": {"event_id": alert_id}}


def with_alert_metadata(message: Mapping[str, Any], alert_id: str) -> dict[str, Any]:
    """The message carrying its alert's id, unless it carries metadata already."""
    if "metadata" in message:
        return dict(message)
    return {**message, "metadata": alert_metadata(alert_id)}


def is_alert(message: Mapping[str, Any], alert_id: str) -> bool:
    """Whether a message from `conversations.history` is the alert `alert_id`."""
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != ALERT_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, Mapping) and payload.get("event_id") == alert_id


@dataclass(frozen=True)
class Window:
    """Where to look for an earlier post: wall-clock seconds, margins included."""

    oldest: float
    latest: float

    @classmethod
    def around(cls, since: float, now: float) -> Window:
        return cls(since - WINDOW_MARGIN_SECONDS, max(since, now) + WINDOW_MARGIN_SECONDS)

    @property
    def params(self) -> dict[str, str]:
        """conversations.history's `oldest` and `latest` (Slack ts strings)."""
        return {"oldest": f"{max(0.0, self.oldest):.6f}", "latest": f"{self.latest:.6f}"}
