"""GIVEN what the Home tab shows WHEN its view is built THEN hostile text stays text, the
view stays within Slack's 100 blocks, and a query's answer replaces the last one."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from chalicelib.home.reads import HomeData, WaitingQuestion
from chalicelib.home.view import MAX_VIEW_BLOCKS, QUERIES, home_view, with_result
from chalicelib.picture.week import week_grid
from chalicelib.settings import Settings

HOSTILE = "<!channel> <https://evil.example|AWS> `x` *y*"


def data(questions: int = 1) -> HomeData:
    return HomeData(
        week=week_grid(date(2026, 12, 6), "UTC", {date(2026, 12, 6): {"h09_signins": 2}}),
        bursts=(f"possible brute force on {HOSTILE}: 9 failed sign-ins in 3 minutes",),
        questions=tuple(
            WaitingQuestion(
                f"ev-{n}",
                datetime(2026, 12, 6, 9, tzinfo=UTC),
                {"display_name": HOSTILE, "account_id": "111122223333", "source_ip": "192.0.2.1"},
            )
            for n in range(questions)
        ),
        last_root=None,
        problems=(f"the rule is off {HOSTILE}",),
        stage="dev-us-east-1",
    )


def test_hostile_text_is_escaped_in_the_view() -> None:
    view = home_view(data(), Settings.from_env({}), None)
    text = json.dumps(view)
    assert "<!channel>" not in text and "<https://evil" not in text
    assert view["type"] == "home"
    values = [
        element["value"]
        for block in view["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert values == ["ev-0", "ev-0", *(query for _, query in QUERIES)]


def test_the_view_stays_within_slacks_limit() -> None:
    view = home_view(data(questions=200), Settings.from_env({}), None)
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    text = json.dumps(view)
    assert "and 190 more" in text and "the rule is off" in text and "home_query_3" in text


def test_a_query_answer_replaces_the_last_one() -> None:
    view = home_view(data(), Settings.from_env({}), None)
    answer = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"line {n}"}} for n in range(3)
    ]

    once = with_result(view, answer)
    twice = with_result(once, answer[:1])

    assert once["blocks"][: len(view["blocks"])] == view["blocks"]
    assert len(once["blocks"]) == len(view["blocks"]) + 3
    assert len(twice["blocks"]) == len(view["blocks"]) + 1
    crowded = with_result(view, answer * 100)
    assert len(crowded["blocks"]) == MAX_VIEW_BLOCKS
