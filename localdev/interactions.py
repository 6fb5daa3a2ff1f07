"""Button clicks as Slack sends them to `POST /slack/interactions`: a `block_actions`
payload, form-encoded and signed. For the tests, the demo and local runs."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from chalicelib.slack.verify import sign


def click_body(
    action_id: str,
    event_id: str,
    *,
    user_id: str,
    team_id: str,
    response_url: str,
    payload_type: str = "block_actions",
) -> bytes:
    """The form body Slack posts when `user_id` clicks a button valued `event_id`."""
    dm = "D" + user_id[1:]
    payload: dict[str, Any] = {
        "type": payload_type,
        "team": {"id": team_id, "domain": "example"},
        "user": {"id": user_id, "username": "someone", "team_id": team_id},
        "api_app_id": "A0SIGNIN",
        "token": "legacy-not-used",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": dm},
        "trigger_id": "1.2.3",
        "channel": {"id": dm, "name": "directmessage"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "signin_confirm_answer",
                "text": {"type": "plain_text", "text": "button"},
                "value": event_id,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(secret, stamp, body),
    }
