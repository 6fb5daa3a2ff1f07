"""A roll-up of routine sign-ins stays inside Slack's limits however long the day and
however hostile the names, and its counts stay exact: every sign-in is either listed or
counted in "and N more"."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.routine.entries import RoutineEntry
from chalicelib.routine.message import MAX_MESSAGE_TEXT, rollup_message
from chalicelib.routine.periods import Period, PeriodKind, period_for
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result
from chalicelib.slack.blocks import MAX_BLOCKS, MAX_HEADER_TEXT, MAX_SECTION_TEXT

DAY = Period(PeriodKind.DAY, 1_764_028_800, 1_764_115_200)  # 2025-11-25 UTC


def entry(n: int, who: str = "IAM user alice", result: Result = Result.SUCCESS) -> RoutineEntry:
    return RoutineEntry(
        event_id=f"e-{n:05d}",
        at=DAY.start + n * 7,
        who=who,
        account_id="123456789012",
        source_ip="203.0.113.9",
        country="KR",
        result=result,
        mfa="yes",
        severity=Severity.INFO,
    )


def listed(message: dict[str, object]) -> int:
    return json.dumps(message).count("\\u2022 ")  # one bullet per listed sign-in


def more(message: dict[str, object]) -> int:
    found = re.search(r"and ([\d,]+) more", json.dumps(message))
    return int(found.group(1).replace(",", "")) if found else 0


@settings(max_examples=25, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=3000),
    name=st.text(min_size=0, max_size=200),
)
def test_any_day_fits_slack_and_counts_every_signin(count: int, name: str) -> None:
    entries = [entry(n, f"IAM user {name}") for n in range(count)]
    message = rollup_message(DAY, entries, Settings())
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert len(message["text"]) <= MAX_MESSAGE_TEXT
    assert len(blocks[0]["text"]["text"]) <= MAX_HEADER_TEXT
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= MAX_SECTION_TEXT for text in sections)
    assert sum(map(len, sections)) <= MAX_MESSAGE_TEXT
    assert listed(message) + more(message) == count
    assert f": {count:,}" in blocks[0]["text"]["text"]


def test_a_long_day_says_how_many_more() -> None:
    entries = [entry(n, "IAM user " + "x" * 150) for n in range(2000)]
    message = rollup_message(DAY, entries, Settings())
    assert 0 < listed(message) < 2000 and more(message) == 2000 - listed(message)
    today = "INFO: Routine sign-ins today (2025-11-25, UTC)"
    assert message["text"] == f"{today}: 2,000 sign-ins, 0 failed"


def test_hostile_names_ping_nobody_and_link_nowhere() -> None:
    message = rollup_message(DAY, [entry(1, "IAM user <!channel> https://evil")], Settings())
    text = json.dumps(message)
    assert "<!channel>" not in text and "https://evil" not in text


def test_plural_and_failures_are_counted() -> None:
    failed = entry(2, result=Result.FAILURE)
    message = rollup_message(DAY, [entry(1), failed], Settings())
    assert message["text"].endswith(": 2 sign-ins, 1 failed")
    assert rollup_message(DAY, [entry(1)], Settings())["text"].endswith(": 1 sign-in, 0 failed")


def test_windows_are_clock_aligned_and_days_follow_the_display_zone() -> None:
    at = datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC).timestamp()
    window = period_for(at, Settings(routine_summary_minutes=60), web_api=False)
    assert (window.start, window.end) == (at - 3599, at + 1)
    # New York's spring-forward day has 23 hours.
    day = period_for(at, Settings(display_timezone="America/New_York"), web_api=True)
    assert day.end - day.start == 23 * 3600
    assert Period.parse(day.id) == day and Period.parse("nonsense") is None
