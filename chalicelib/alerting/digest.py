"""The daily digest: yesterday's sign-ins in one Slack message, posted once in the hour
`DIGEST_HOUR_UTC` names, from the day's tallies (`store/day_tally.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.settings import Settings
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.slack.digest_message import digest_message
from chalicelib.store.day_tally import DayTally


def run_daily_digest(
    settings: Settings,
    tally: DayTally,
    notifier: Callable[[], SlackNotifier],
    *,
    now: datetime,
    deadline: float,
) -> str:
    """What the hourly schedule calls. Posts yesterday's digest once, in the configured
    hour; returns what it did, for the log."""
    if not settings.digest_enabled:
        return "disabled"
    if now.hour != settings.digest_hour_utc:
        return f"waiting for {settings.digest_hour_utc:02d}:00 UTC"
    day = now.date() - timedelta(days=1)
    if not tally.claim_digest(day):
        return f"already posted for {day.isoformat()}"
    try:
        message = digest_message(tally.read(day), settings)
        notifier().post(message, deadline=deadline, channel=settings.digest_channel)
    except Exception:
        tally.release_digest(day)  # let the schedule's retry post it
        raise
    return f"posted for {day.isoformat()}"
