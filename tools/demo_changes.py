"""`make demo`'s account-change part: a role session resets bob's console password (a
public record, re-timed), then bob signs in: the reset alerts HIGH through the real
`account_change` handler, and bob's sign-in says "possible takeover" with what changed,
when and by whom (docs/account-changes.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localdev.events import console_login
from localdev.render import render
from localdev.slack_sink import SlackSink

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
RESET = "change_update_login_profile_other.json"


def run_changes_demo(app: Any, sink: SlackSink) -> None:
    from chalice.local import LambdaContext

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    reset: dict[str, Any] = json.loads((EVENTS / RESET).read_text())
    reset["time"] = reset["detail"]["eventTime"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    signin = console_login(
        "demo-bob-signs-in", start + timedelta(minutes=30), user="bob", ip="198.51.100.9",
        success=True, mfa=True, account=reset["detail"]["recipientAccountId"],
    )  # fmt: skip
    steps = [
        ("account_change", reset, "a role session resets IAM user bob's console password"),
        ("console_signin", signin, "30 minutes later, bob signs in (with MFA)"),
    ]
    print("The steps around a sign-in (account changes):")
    for number, (handler, event, story) in enumerate(steps, start=1):
        seen = len(sink.messages)
        context = LambdaContext(handler, 256, max_runtime_ms=60_000)
        result = getattr(app, handler)(event, context)
        print(f"{number}. {story}  ->  {result['outcome']}, {result['severity']}")
        for message in sink.messages[seen:]:
            print(render(message))
        print()
