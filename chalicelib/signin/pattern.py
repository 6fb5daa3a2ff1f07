"""What the sign-in handler subscribes to, and how Chalice hands events to it."""

from __future__ import annotations

from typing import Any

from chalice.app import CloudWatchEvent

from chalicelib.signin.change_events import change_pattern

# Match on the source only: real events say "AWS Console Sign In via CloudTrail", one
# AWS page says "Signin", and the handler decides by detail.eventName anyway.
SIGNIN_EVENT_PATTERN: dict[str, Any] = {"source": ["aws.signin"]}

# The account changes (signin/change_events.py), each named: never all API calls.
ACCOUNT_CHANGE_PATTERN: dict[str, Any] = change_pattern()

# Every pattern a forwarder (a region without a stage, a member account of the
# organization) carries to the stage's bus, by a short name its rule is named after:
# one rule per entry. IAM's events are recorded in us-east-1 only; AssumeRoot and
# GetFederationToken in the region of the STS endpoint used, so forwarders carry both.
FORWARDED_PATTERNS: dict[str, dict[str, Any]] = {
    "signins": SIGNIN_EVENT_PATTERN,
    "changes": ACCOUNT_CHANGE_PATTERN,
}


class AnyShapeEvent(CloudWatchEvent):
    """Chalice's CloudWatchEvent, but tolerant of a missing envelope field or of a bare
    CloudTrail record: `to_dict()` gives the parser whatever arrived."""

    def _extract_attributes(self, event_dict: Any) -> None:
        envelope = event_dict if isinstance(event_dict, dict) else {}
        self.version = str(envelope.get("version", ""))
        self.account = str(envelope.get("account", ""))
        self.region = str(envelope.get("region", ""))
        detail = envelope.get("detail")
        self.detail = detail if isinstance(detail, dict) else {}
        self.detail_type = str(envelope.get("detail-type", ""))
        self.source = str(envelope.get("source", ""))
        self.time = str(envelope.get("time", ""))
        self.event_id = str(envelope.get("id", ""))
        resources = envelope.get("resources")
        self.resources = resources if isinstance(resources, list) else []
