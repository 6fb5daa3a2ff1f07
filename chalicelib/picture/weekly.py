"""The weekly digest: on `DIGEST_WEEKLY_DAY`, in the daily digest's hour, the last seven
days' totals and busiest principals and accounts (summed over every day's principal
counters) in one message (each day's tallies: one Query a day, never a Scan), then the
week's picture. Posted once a week (its own mark)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.picture.digest_picture import DigestPicture
from chalicelib.picture.week import week_days
from chalicelib.settings import Settings
from chalicelib.slack.blocks import MAX_SECTION_TEXT, clip, inert, safe
from chalicelib.slack.delivery import SlackNotifier
from chalicelib.store.day_tally import (
    TOP_PRINCIPALS,
    DaySummary,
    DayTally,
    principal_rows,
    summary_of,
)
from chalicelib.store.week_tally import WeekTally

WEEKLY_TOTALS = (
    ("Sign-ins", "signins"),
    ("Failures", "failure"),
    ("Root sign-ins", "root"),
    ("Successful without MFA", "without_mfa"),
    ("New IPs", "new_ip"),
    ("Bursts", "bursts"),
)


def _merged(rows: Iterable[tuple[str, int, int]]) -> tuple[tuple[str, int, int], ...]:
    sums: dict[str, tuple[int, int]] = {}
    for label, signins, failures in rows:
        before = sums.get(label, (0, 0))
        sums[label] = (before[0] + signins, before[1] + failures)
    ranked = sorted(((k, n, f) for k, (n, f) in sums.items()), key=lambda r: (-r[1], r[0]))
    return tuple(ranked[:TOP_PRINCIPALS])


def week_summary(
    days: list[DaySummary], principals: Iterable[tuple[str, str, int, int]] = ()
) -> DaySummary:
    """The days' summaries as one: totals summed; the busiest principals and accounts
    from every day's principal counters (`principals`: (account, label, sign-ins,
    failures) rows, `day_tally.principal_rows`), or, without them, from each day's five."""
    totals: dict[str, int] = {}
    for summary in days:
        for name, value in summary.totals.items():
            totals[name] = totals.get(name, 0) + value
    rows = list(principals)
    if rows:
        busiest = _merged((label, n, failed) for _, label, n, failed in rows)
        accounts = _merged((account, n, failed) for account, _, n, failed in rows)
    else:
        busiest = _merged(row for summary in days for row in summary.busiest)
        accounts = _merged(row for summary in days for row in summary.accounts)
    return DaySummary(
        days[-1].day,
        totals,
        busiest,
        tuple(line for summary in days for line in summary.bursts),
        (),
        accounts,
    )


def weekly_message(first: date, summary: DaySummary) -> dict[str, Any]:
    totals = summary.totals
    span = f"{first:%a %d %b} to {summary.day:%a %d %b %Y}"
    figures = ", ".join(f"{totals.get(key, 0)} {label.lower()}" for label, key in WEEKLY_TOTALS)
    busiest = "\n".join(
        f"• {inert(label, 300)}: {signins} sign-ins, {failures} failed"
        for label, signins, failures in summary.busiest
    )
    accounts = "\n".join(
        f"• {inert(account, 100)}: {signins} sign-ins, {failures} failed"
        for account, signins, failures in summary.accounts
    )
    return {
        "text": clip(safe(f"INFO: sign-in week, {span}: {figures}", 3000), 500),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"Sign-in week, {span}"}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{label}*\n{totals.get(key, 0)}"}
                    for label, key in WEEKLY_TOTALS
                ],
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip("*Busiest principals*\n" + (busiest or "none"), MAX_SECTION_TEXT),
                    "verbatim": True,
                },
            },
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip("*Busiest accounts*\n" + (accounts or "none"), MAX_SECTION_TEXT),
                    "verbatim": True,
                },
            },
        ],
    }


def run_weekly_digest(
    settings: Settings,
    tally: DayTally,
    week: WeekTally,
    picture: DigestPicture,
    notifier: Callable[[], SlackNotifier],
    *,
    now: datetime,
    deadline: float,
) -> str | None:
    """What the hourly schedule calls after the daily digest: None when today is not
    the weekly day (or its hour), else what it did."""
    if not settings.digest_enabled or settings.digest_weekly_day is None:
        return None
    if now.weekday() != settings.digest_weekly_day.number or now.hour != settings.digest_hour_utc:
        return None
    last_day = now.date() - timedelta(days=1)
    if not week.claim_weekly(last_day):
        return f"already posted for the week ending {last_day.isoformat()}"
    days = week_days(last_day)
    try:
        items = {day: tally.items(day) for day in days}
        summary = week_summary(
            [summary_of(day, found) for day, found in items.items()],
            [row for found in items.values() for row in principal_rows(found)],
        )
        notifier().post(
            weekly_message(days[0], summary), deadline=deadline, channel=settings.digest_channel
        )
    except Exception:
        week.release_weekly(last_day)  # let the schedule's retry post it
        raise
    drawn = picture.post(last_day, summary, busiest_of="the week", heading="Sign-in week")
    return f"posted for the week ending {last_day.isoformat()}; {drawn}"
