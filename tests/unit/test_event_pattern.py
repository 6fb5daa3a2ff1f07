"""The Chalice test client does not apply event patterns: check ours with moto's."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from chalicelib.signin.pattern import SIGNIN_EVENT_PATTERN
from tests.conftest import fixture_records, load_event


def envelope(record: dict[str, Any]) -> Any:
    if record["kind"] == "eventbridge_event":
        payload: dict[str, Any] = record["payload"]
        return payload
    return {
        "version": "0",
        "id": "1",
        "detail-type": "AWS Console Sign In via CloudTrail",
        "source": "aws.signin",
        "account": "111122223333",
        "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": record["payload"],
    }


def test_pattern_matches_real_signin_events() -> None:
    pattern = EventPattern.load(json.dumps(SIGNIN_EVENT_PATTERN))
    records = [
        r for r in fixture_records() if r["payload"].get("eventSource") != "sso.amazonaws.com"
    ]
    real = [envelope(r) for r in records if envelope(r).get("source") == "aws.signin"]
    assert len(real) >= 110
    assert all(pattern.matches_event(event) for event in real)


def test_pattern_matches_the_signin_spelling_too() -> None:
    event: Any = load_event("iam_user_failure.json")
    event["detail-type"] = "AWS Console Signin via CloudTrail"
    assert EventPattern.load(json.dumps(SIGNIN_EVENT_PATTERN)).matches_event(event)


def test_pattern_ignores_other_sources() -> None:
    event: Any = load_event("iam_user_failure.json")
    event["source"] = "aws.iam"
    assert not EventPattern.load(json.dumps(SIGNIN_EVENT_PATTERN)).matches_event(event)
