"""The daily digest: yesterday's sign-ins in one Slack message, posted once in the hour
`DIGEST_HOUR_UTC` names, from the day's tallies (`store/day_tally.py`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

from chalicelib.settings import Settings
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.slack.digest_message import digest_message
from chalicelib.store.day_tally import DaySummary, DayTally

# After the text is posted: the week's picture (chalicelib/picture), what it did.
DigestPictureHook = Callable[[date, DaySummary], str]

log = logging.getLogger(__name__)


def run_daily_digest(
    settings: Settings,
    tally: DayTally,
    notifier: Callable[[], SlackNotifier],
    *,
    now: datetime,
    deadline: float,
    names: Callable[[], Mapping[str, str]] = dict,
    picture: DigestPictureHook | None = None,
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
        summary = tally.read(day)
        message = digest_message(summary, settings, account_names(settings, names))
        notifier().post(message, deadline=deadline, channel=settings.digest_channel)
    except Exception:
        tally.release_digest(day)  # let the schedule's retry post it
        raise
    if picture is not None:  # the text is posted: a failed picture never reposts it
        return f"posted for {day.isoformat()}; {picture(day, summary)}"
    return f"posted for {day.isoformat()}"


def account_names(settings: Settings, names: Callable[[], Mapping[str, str]]) -> dict[str, str]:
    """Organizations' names (from the ledger's copy) under ACCOUNT_NAMES; without the
    copy, ACCOUNT_NAMES alone: a digest without names beats none."""
    try:
        found = dict(names())
    except Exception as error:
        log.warning("digest without the organization's names: %s", type(error).__name__)
        found = {}
    return settings.with_account_names(found).account_names
