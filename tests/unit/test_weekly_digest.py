"""GIVEN DIGEST_WEEKLY_DAY and a week of day summaries THEN the weekly digest's day is
read the way an operator writes it, its totals are the days' sums, its busiest are
summed across days, and hostile names stay text."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from chalicelib.picture.weekly import week_summary, weekly_message
from chalicelib.settings import ConfigError, Settings
from chalicelib.store.day_tally import DaySummary


@pytest.mark.parametrize(
    ("raw", "day"),
    [("", 0), ("monday", 0), ("Fri", 4), ("SUNDAY", 6), ("wed", 2), ("off", None)],
)
def test_the_weekly_day_is_a_day_name_or_off(raw: str, day: int | None) -> None:
    weekly = Settings.from_env({"DIGEST_WEEKLY_DAY": raw}).digest_weekly_day
    assert (None if weekly is None else weekly.number) == day


@pytest.mark.parametrize("raw", ["7", "mo", "someday", "t"])
def test_a_day_that_is_no_day_is_a_clear_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="DIGEST_WEEKLY_DAY"):
        Settings.from_env({"DIGEST_WEEKLY_DAY": raw})


def test_the_week_is_the_sum_of_its_days() -> None:
    first = date(2026, 11, 30)
    days = [
        DaySummary(
            first + timedelta(days=n),
            {"signins": 3, "failure": 1, "root": n % 2},
            (("alice (111)", 2, 0), ("<!channel> (222)", 1, 1)),
            (),
            (),
            (("111", 2, 0), ("222", 1, 1)),
        )
        for n in range(7)
    ]

    week = week_summary(days)

    assert week.totals == {"signins": 21, "failure": 7, "root": 3}
    assert week.busiest == (("alice (111)", 14, 0), ("<!channel> (222)", 7, 7))
    assert week.accounts == (("111", 14, 0), ("222", 7, 7))
    message = weekly_message(first, week)
    assert message["text"].startswith("INFO: sign-in week, Mon 30 Nov to Sun 06 Dec 2026: 21 ")
    assert "<!channel>" not in json.dumps(message)


def test_the_weeks_busiest_count_every_day_not_only_each_days_five() -> None:
    """Quiet every day, busiest over the week: "steady" is never in a day's five."""
    first = date(2026, 11, 30)
    loud = [(f"loud{day} (111)", 5, 0) for day in range(7)]
    days = [
        DaySummary(first + timedelta(days=n), {"signins": 5}, (loud[n],), (), (), (("111", 5, 0),))
        for n in range(7)
    ]
    rows = [("111", label, n, f) for label, n, f in loud] + [("222", "steady (222)", 2, 1)] * 7

    week = week_summary(days, rows)

    assert week.busiest[0] == ("steady (222)", 14, 7)
    assert week.accounts == (("111", 35, 0), ("222", 14, 7))
