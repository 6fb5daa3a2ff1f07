"""GIVEN a storm of failed sign-ins (and some successes) WHEN they go through the
console_signin handler THEN Slack gets a few messages that tell the story, at a pace
Slack accepts, and the ledger has every sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.settings import Settings
from chalicelib.store.schema import event_key
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.slack_sink import RateLimit, Reply, SlackSink
from tests.conftest import TABLE, honours_retry_after

START = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
PRODUCTION_INTERVAL = str(Settings.slack_min_interval_seconds)


@pytest.fixture
def limited_sink(slack_sink: SlackSink, configure) -> SlackSink:
    """Slack's pace: one message a second per channel, 429 with Retry-After beyond; the
    stage paces its messages for it with the production default interval."""
    slack_sink.rate_limit = RateLimit(per_second=1, burst=1)
    configure(SLACK_MIN_INTERVAL_SECONDS=PRODUCTION_INTERVAL)
    return slack_sink


def failures(
    count: int,
    *,
    user: str = "root",
    ips: tuple[str, ...] = ("203.0.113.7",),
    every: timedelta = timedelta(seconds=1),
    prefix: str = "f",
) -> list[dict[str, Any]]:
    return [
        console_login(f"{prefix}-{n}", START + every * n, user=user, ip=ips[n % len(ips)])
        for n in range(count)
    ]


def ledger_item(dynamodb: Any, event_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id)).get(
        "Item"
    )
    return item


def texts(sink: SlackSink) -> list[str]:
    return [message.get("text", "") for message in sink.messages]


def test_300_root_failures_make_a_few_messages_and_300_ledger_records(
    invoke, limited_sink: SlackSink, dynamodb
) -> None:
    events = failures(300, ips=("203.0.113.7", "198.51.100.4"), every=timedelta(seconds=0.5))

    outcomes = [invoke(event)["outcome"] for event in events]

    assert len(limited_sink.messages) <= 10
    assert honours_retry_after(limited_sink)
    assert all(ledger_item(dynamodb, e["detail"]["eventID"]) for e in events)
    bursts = [text for text in texts(limited_sink) if "possible brute force on root" in text]
    assert len(bursts) == 1
    assert bursts[0].startswith("HIGH: possible brute force on root user: 5 failed sign-ins in")
    assert "from 2 IPs" in bursts[0]
    assert outcomes.count("posted") == len(limited_sink.messages)
    later = ledger_item(dynamodb, "f-200")
    assert later is not None
    assert later["alert_status"]["S"] == "not_alerted"
    assert later["skip_reason"]["S"].startswith("part of burst: possible brute force on root")


def test_four_root_failures_are_under_the_threshold(invoke, slack_sink, dynamodb) -> None:
    events = failures(4, ips=("203.0.113.7", "198.51.100.4"), every=timedelta(minutes=1))

    outcomes = [invoke(event)["outcome"] for event in events]

    assert outcomes == ["posted", "posted", "posted", "not_alerted"]
    assert not any("brute force" in text for text in texts(slack_sink))
    assert "further failures are held back until 5" in str(slack_sink.messages[2])
    held = ledger_item(dynamodb, "f-3")
    assert held is not None
    assert held["skip_reason"]["S"] == (
        "held back: 4 failed sign-ins for root user in 15 min; a burst alert follows at 5"
    )


def test_the_fifth_root_failure_in_4_minutes_posts_the_burst_alert(invoke, slack_sink) -> None:
    events = failures(5, ips=("203.0.113.7", "198.51.100.4"), every=timedelta(minutes=1))

    outcomes = [invoke(event)["outcome"] for event in events]

    assert outcomes[-1] == "posted"
    assert texts(slack_sink)[-1].startswith(
        "HIGH: possible brute force on root user: 5 failed sign-ins in 4 minutes from 2 IPs"
    )


def test_failures_spread_wider_than_the_window_do_not_burst(invoke, slack_sink) -> None:
    events = failures(5, every=timedelta(minutes=5))  # 5 root failures in 20 minutes

    [invoke(event) for event in events]

    assert not any("brute force" in text for text in texts(slack_sink))


def test_19_failures_of_a_user_are_under_and_20_over(invoke, slack_sink) -> None:
    ips = tuple(f"198.51.100.{n}" for n in range(1, 21))  # no single IP crosses
    events = failures(20, user="alice", ips=ips, every=timedelta(seconds=30))

    before = [invoke(event)["outcome"] for event in events[:19]]
    assert not any("brute force" in text for text in texts(slack_sink))
    last = invoke(events[19])

    assert before.count("posted") == 3
    assert last["outcome"] == "posted"
    assert texts(slack_sink)[-1].startswith(
        "HIGH: possible brute force on IAM user alice: 20 failed sign-ins in 10 minutes from 20 IPs"
    )


def test_10_user_names_from_one_ip_is_password_spraying(invoke, slack_sink) -> None:
    events = [
        console_login(
            f"s-{n}", START + timedelta(seconds=20 * n), user=f"user{n}", ip="198.51.100.9"
        )
        for n in range(10)
    ]

    outcomes = [invoke(event)["outcome"] for event in events]

    assert outcomes[:9].count("posted") == 3  # then held back: the IP is over the cap
    assert outcomes[9] == "posted"
    assert texts(slack_sink)[-1].startswith(
        "HIGH: possible password spraying from 198.51.100.9: 10 user names, "
        "10 failed sign-ins in 3 minutes"
    )


def test_a_success_right_after_a_burst_is_critical(invoke, configure, slack_sink) -> None:
    configure(BURST_FAILURES="5")
    for event in failures(6, user="alice", every=timedelta(seconds=5)):
        invoke(event)
    assert "possible brute force on IAM user alice" in texts(slack_sink)[-1]
    success = console_login(
        "ok-1", START + timedelta(minutes=2), user="alice", success=True, mfa=True, ip="203.0.113.7"
    )

    assert invoke(success)["outcome"] == "posted"

    assert texts(slack_sink)[-1].startswith(
        "CRITICAL: Console sign-in succeeded right after a burst of failures"
    )


def test_web_api_updates_the_burst_alert_in_place_and_replies_in_its_thread(
    invoke, configure, slack_sink, fast_forward: FastForward
) -> None:
    configure(
        SLACK_WEBHOOK_URL="",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_CHANNEL="#security",
        SLACK_API_URL=slack_sink.api_url,
        BURST_THREAD_SECONDS="2",
    )
    events = failures(9, every=timedelta(seconds=10))
    for event in events[:5]:
        invoke(event)
    posted = [r.json["text"] for r in slack_sink.delivered]
    assert len(posted) == 4 and "possible brute force on root" in posted[3]

    fast_forward.advance(2.1)
    for event in events[5:]:  # the first is due a summary, the next three are not
        invoke(event)

    updates = [r for r in slack_sink.delivered if r.path.endswith("chat.update")]
    replies = [r for r in slack_sink.delivered if r.json.get("thread_ts")]
    assert len(updates) == 1 and len(replies) == 1
    assert updates[0].json["channel"] == "C0SINK"
    assert updates[0].json["ts"] == replies[0].json["thread_ts"]
    assert updates[0].json["text"].startswith("HIGH: possible brute force on root user: 6 failed")
    assert replies[0].json["text"].startswith("+1 failed sign-ins (total 6 in")


def test_webhook_posts_a_rolling_summary_at_most_every_interval(
    invoke, configure, slack_sink, fast_forward: FastForward
) -> None:
    configure(BURST_SUMMARY_SECONDS="3")
    events = failures(20, every=timedelta(seconds=10))
    for event in events[:10]:
        invoke(event)
    fast_forward.advance(3.1)
    for event in events[10:]:
        invoke(event)

    summaries = [t for t in texts(slack_sink) if "since the last message" in t]
    assert len(summaries) == 1
    assert summaries[0].startswith("HIGH: possible brute force on root user: 11 failed sign-ins")
    assert "(+6 since the last message)" in summaries[0]


def test_a_failed_burst_alert_raises_and_the_lambda_retry_posts_it(
    invoke, configure, slack_sink, dynamodb
) -> None:
    configure(SLACK_MAX_ATTEMPTS="1")
    events = failures(5, every=timedelta(seconds=30))
    for event in events[:4]:
        invoke(event)
    slack_sink.then(Reply(500, "down"))

    with pytest.raises(Exception, match="Slack delivery failed"):
        invoke(events[4])
    retried = invoke(events[4])

    assert retried["outcome"] == "posted"
    assert texts(slack_sink)[-1].startswith("HIGH: possible brute force on root user: 5 failed")
    item = ledger_item(dynamodb, "f-4")
    assert item is not None and item["alert_status"]["S"] == "sent"
    assert item["title"]["S"].startswith("possible brute force on root")


def test_a_duplicate_delivery_is_not_counted_twice(invoke, slack_sink) -> None:
    events = failures(4, every=timedelta(seconds=30))

    outcomes = [invoke(event)["outcome"] for event in [*events, events[3], events[3]]]

    assert outcomes[-2:] == ["duplicate", "duplicate"]
    assert not any("brute force" in text for text in texts(slack_sink))


def test_the_sweep_posts_the_closing_summary_of_a_storm_that_stopped(
    invoke, configure, slack_sink, fast_forward: FastForward
) -> None:
    container = configure()
    for event in failures(10, every=timedelta(seconds=10)):
        invoke(event)
    before = len(slack_sink.messages)

    def sweep() -> dict[str, int]:
        done: dict[str, int] = container.burst_summaries(
            deadline=container.deadline.start_within(60)
        )
        return done

    arrived = sweep()
    fast_forward.advance(Settings.burst_summary_seconds)  # quiet, and the interval passed
    first = sweep()
    fast_forward.advance(minutes=10)  # nothing arrived since: it is forgotten
    second = sweep()
    third = sweep()

    # Its failures' event times are days old, but the last one arrived just now.
    assert arrived == {"open": 1, "summarised": 0, "closed": 0}
    assert first == {"open": 1, "summarised": 1, "closed": 0}
    assert second == {"open": 1, "summarised": 0, "closed": 1}
    assert third == {"open": 0, "summarised": 0, "closed": 0}
    [closing] = texts(slack_sink)[before:]
    assert closing.startswith(
        "HIGH: possible brute force on root user: 10 failed sign-ins in 2 minutes from 1 IP "
        "(+5 since the last message): root user, result failure"
    )


def test_repeated_user_names_are_not_spraying(invoke, slack_sink) -> None:
    names = [f"user{n % 5}" for n in range(12)]  # 5 names, 12 failures, one IP
    events = [
        console_login(f"r-{n}", START + timedelta(seconds=20 * n), user=name, ip="198.51.100.9")
        for n, name in enumerate(names)
    ]

    [invoke(event) for event in events]

    assert not any("spraying" in text for text in texts(slack_sink))
