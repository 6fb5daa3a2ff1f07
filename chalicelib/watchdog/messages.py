"""The watchdog's Slack messages: a new problem (HIGH), a reminder, "resolved", a hint.

The top-level `text` (a phone notification) names the severity in capitals, what is
wrong and the region; the block adds the fix. Texts come from AWS names and Slack
errors, so they are escaped like any other value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.slack.blocks import clip, escape
from chalicelib.watchdog.findings import Finding, Status
from chalicelib.watchdog.state import WatchdogChange, WatchdogRecord

MAX_TEXT = 2900


def _lasted(since: float, now: datetime) -> str:
    hours = max(0.0, now.timestamp() - since) / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{max(1, round(hours * 60))} min"


def watchdog_message(
    action: WatchdogChange,
    finding: Finding,
    stored: WatchdogRecord | None,
    stage: str,
    now: datetime,
) -> dict[str, Any]:
    region = finding.region
    if action is WatchdogChange.RESOLVED:
        what = stored.what if stored and stored.what else finding.check.value
        lasted = f" after {_lasted(stored.since, now)}" if stored else ""
        text = f"INFO: resolved in {region}{lasted}: {what}"
        detail = f":white_check_mark: *Resolved* ({escape(stage)}): {escape(what)}"
        return _message(text, detail)
    reminder = action is WatchdogChange.REMIND and stored is not None and stored.posted_at > 0
    if finding.status is Status.HINT:
        text = f"INFO: signin-alerts hint for {region}: {finding.what}. {finding.fix}"
        head = ":information_source: *Hint*"
    elif reminder:
        assert stored is not None
        text = (
            f"HIGH: still broken after {_lasted(stored.since, now)}, signin-alerts in "
            f"{region}: {finding.what}. Fix: {finding.fix}"
        )
        head = ":warning: *HIGH: still broken*"
    else:
        text = f"HIGH: signin-alerts in {region}: {finding.what}. Fix: {finding.fix}"
        head = ":warning: *HIGH: signin-alerts is not watching*"
    detail = (
        f"{head} ({escape(stage)}, region {escape(region)})\n{escape(finding.what)}\n"
        f"*Fix:* `{escape(finding.fix)}`"
    )
    return _message(text, detail)


def _message(text: str, detail: str) -> dict[str, Any]:
    return {
        "text": clip(text, MAX_TEXT),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": clip(detail, MAX_TEXT)}}],
    }
