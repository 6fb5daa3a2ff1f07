"""Events API deliveries and Home tab clicks as Slack sends them: `app_home_opened` and
`url_verification` to `POST /slack/events` (JSON, signed), and a Home tab button's
`block_actions` to `POST /slack/interactions`. For the tests, the demo and local runs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from chalicelib.slack.verify import sign


def home_opened_body(event_id: str, *, user_id: str, team_id: str, tab: str = "home") -> bytes:
    payload = {
        "token": "legacy-not-used",
        "team_id": team_id,
        "api_app_id": "A0SIGNIN",
        "event": {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D" + user_id[1:],
            "tab": tab,
            "event_ts": "1764000000.000100",
        },
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1764000000,
    }
    return json.dumps(payload).encode()


def url_verification_body(challenge: str) -> bytes:
    return json.dumps(
        {"token": "legacy-not-used", "challenge": challenge, "type": "url_verification"}
    ).encode()


def json_headers(secret: str, body: bytes, *, timestamp: int, retry: int = 0) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(secret, timestamp, body),
    }
    if retry:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


def home_click_body(value: str, view: dict[str, Any], *, user_id: str, team_id: str) -> bytes:
    """The form body of a click on a Home tab query button valued `value`."""
    payload = {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "example"},
        "user": {"id": user_id, "username": "someone", "team_id": team_id},
        "api_app_id": "A0SIGNIN",
        "container": {"type": "view", "view_id": "V0SINK1"},
        "trigger_id": "1.2.3",
        "view": {**view, "id": "V0SINK1", "hash": "1.abc"},
        "actions": [
            {
                "action_id": "home_query_1",
                "block_id": "home_queries",
                "text": {"type": "plain_text", "text": "button"},
                "value": value,
                "type": "button",
                "action_ts": "1764000000.000200",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()
