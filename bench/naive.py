"""The naive forwarder peer tools use: one Slack message per sign-in event, posted
once to the webhook, no retry, no rate limiting. For comparison in bench/burst.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def forward(event: dict[str, Any], webhook_url: str, timeout: float = 5.0) -> int:
    """Post one message for the event; the HTTP status (0 when the request failed)."""
    detail = event.get("detail", {})
    user = detail.get("userIdentity", {}).get("userName") or "root"
    text = (
        f"Console sign-in {detail.get('responseElements', {}).get('ConsoleLogin')}: "
        f"{user} from {detail.get('sourceIPAddress')}"
    )
    request = urllib.request.Request(
        webhook_url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0
