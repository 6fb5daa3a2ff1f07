"""GIVEN window counts and open bursts WHEN `decide` runs THEN each failed sign-in alerts,
is held back, opens a burst or joins one, as a user expects."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.slack.blocks import MAX_HEADER_TEXT
from chalicelib.storms.bursts import running_count
from chalicelib.storms.decision import (
    Burst,
    Dimension,
    Opener,
    StormAction,
    Subject,
    Threshold,
    WindowCount,
    decide,
    spray_name,
    subjects_of,
)
from chalicelib.storms.messages import burst_message
from chalicelib.storms.titles import burst_title, duration_words
from localdev.events import console_login
from tests.conftest import load_event

LIMITS = {
    Dimension.ROOT: Threshold(5, 900),
    Dimension.PRINCIPAL: Threshold(20, 3600),
    Dimension.IP: Threshold(20, 3600),
    Dimension.SPRAY: Threshold(10, 3600),
}
ROOT = Subject(Dimension.ROOT, "111122223333", "arn:aws:iam::111122223333:root", "root")
IP = Subject(Dimension.IP, "111122223333", "203.0.113.7", "203.0.113.7")
SPRAY = Subject(Dimension.SPRAY, "111122223333", "203.0.113.7", "203.0.113.7")
NOW = 1_800_000_000


def count(subject: Subject, n: int, ips: tuple[tuple[str, int], ...] = ()) -> WindowCount:
    return WindowCount(subject, n, NOW - 240, NOW, ips)


def burst(subject: Subject, *, opener: str = "other", until: int = NOW + 600) -> Burst:
    return Burst(subject, until, opener, NOW - 400, 5, 0.0)


def run(*counts: WindowCount, bursts: dict[str, Burst] | None = None):
    return decide(NOW, counts, bursts or {}, LIMITS, cap=3)


@pytest.mark.parametrize("n", [1, 2])
def test_a_few_failures_alert_one_by_one(n: int) -> None:
    assert run(count(ROOT, n), count(IP, n)).action is StormAction.ALERT


def test_the_failure_at_the_cap_alerts_and_says_what_comes_next() -> None:
    decision = run(count(ROOT, 3), count(IP, 3))

    assert decision.action is StormAction.ALERT
    assert decision.reason == (
        "3 failed sign-ins for root in 15 min: further failures are held back until 5 (burst alert)"
    )


def test_failures_over_the_cap_and_under_the_threshold_are_held_back() -> None:
    decision = run(count(ROOT, 4), count(IP, 4))

    assert decision.action is StormAction.HOLD_BACK
    assert decision.reason.startswith("held back: 4 failed sign-ins for root in 15 min")


def test_the_failure_that_reaches_the_threshold_opens_a_burst() -> None:
    decision = run(count(ROOT, 5), count(IP, 5))

    assert decision.action is StormAction.OPEN_BURST
    assert decision.count is not None and decision.count.subject == ROOT


def test_an_ip_over_the_cap_holds_back_failures_of_new_user_names() -> None:
    alice = Subject(Dimension.PRINCIPAL, "111122223333", "arn:...:user/alice", "alice")

    decision = run(count(alice, 1), count(IP, 6), count(SPRAY, 6))

    assert decision.action is StormAction.HOLD_BACK
    assert "from 203.0.113.7" in decision.reason


def test_the_most_specific_story_wins_when_two_cross_at_once() -> None:
    decision = run(count(IP, 25), count(ROOT, 5), count(SPRAY, 1))

    assert decision.count is not None and decision.count.subject.dimension is Dimension.ROOT


def test_a_failure_inside_an_open_burst_is_part_of_it() -> None:
    decision = run(count(ROOT, 50), count(IP, 50), bursts={ROOT.id: burst(ROOT)})

    assert decision.action is StormAction.PART_OF_BURST
    assert decision.reason == "part of burst: possible brute force on root"


def test_an_expired_burst_opens_again_when_the_count_is_still_high() -> None:
    decision = run(count(ROOT, 50), bursts={ROOT.id: burst(ROOT, until=NOW)})

    assert decision.action is StormAction.OPEN_BURST and decision.burst is None


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (240, "4 minutes"),
        (7200, "2 hours"),
    ],
)
def test_durations_read_naturally(seconds: int, words: str) -> None:
    assert duration_words(seconds) == words


def test_the_burst_title_names_counts_time_and_ips() -> None:
    title = burst_title(count(ROOT, 5, (("203.0.113.7", 3), ("198.51.100.4", 2))))

    assert title == "possible brute force on root: 5 failed sign-ins in 4 minutes from 2 IPs"


def test_spraying_title_names_user_names_and_failures() -> None:
    assert burst_title(count(SPRAY, 10), failures=14) == (
        "possible password spraying from 203.0.113.7: 10 user names, 14 failed sign-ins "
        "in 4 minutes"
    )


def test_aws_internal_failures_count_for_the_principal_only() -> None:
    event = console_login("x", datetime(2026, 1, 1, tzinfo=UTC), ip="AWS Internal")
    signin = parse_signin(event, received_at=datetime(2026, 1, 1, tzinfo=UTC))

    assert [s.dimension for s in subjects_of(signin)] == [Dimension.ROOT]


def test_a_hostile_user_name_in_a_burst_message_pings_nobody() -> None:
    hostile = Subject(Dimension.PRINCIPAL, "1", "k", "<!channel> " + "<x>" * 400)
    opener = Opener("<!channel>", "no", "203.0.113.7")

    message = burst_message(count(hostile, 20), opener, Settings())

    raw = json.dumps(message)
    assert "<!channel>" not in raw and "&lt;!channel&gt;" in raw
    assert len(message["blocks"][0]["text"]["text"]) <= MAX_HEADER_TEXT
    assert message["text"].startswith("HIGH: possible brute force on &lt;!channel&gt;")


def test_a_late_record_never_moves_a_bursts_last_back() -> None:
    # The last message showed NOW; a record delivered late wrote an earlier last_epoch.
    item = {
        "n": {"N": "9"},
        "first_epoch": {"N": str(NOW - 400)},
        "last_epoch": {"N": str(NOW - 30)},
        "told_last_epoch": {"N": str(NOW)},
    }
    running = running_count(ROOT, item, NOW + 900)
    assert (running.count, running.first_epoch, running.last_epoch) == (9, NOW - 400, NOW)
    later = running_count(ROOT, {**item, "last_epoch": {"N": str(NOW + 5)}}, NOW + 900)
    assert later.last_epoch == NOW + 5


def test_a_spray_title_says_it_reached_watched_principals() -> None:
    plain = WindowCount(SPRAY, 12, NOW - 300, NOW, names=("alice", "bob"))
    reached = WindowCount(SPRAY, 12, NOW - 300, NOW, names=("alice", "bob"), watched=("bob",))
    told = "12 user names, 30 failed sign-ins in 5 minutes"
    assert burst_title(plain, failures=30).endswith(told)
    assert burst_title(reached, failures=30).endswith(f"{told}, tried watched principal bob")


def test_each_hidden_name_is_a_distinct_guess_and_a_real_name_is_itself() -> None:
    hidden = parse_signin(load_event("hidden_user_failure.json"), received_at=datetime.now(UTC))
    real = parse_signin(load_event("iam_user_failure.json"), received_at=datetime.now(UTC))
    assert spray_name(hidden) is None
    assert spray_name(real) == "usernamehere"
