"""GIVEN a storm of failed sign-ins WHEN two Lambda instances handle it at once THEN
they share one burst: every failure is counted once, Slack gets a few messages at a
pace it accepts, and the ledger has every sign-in.

(Apart from tests/functional/test_storms.py so that the two long storms can run on
two cores.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.settings import Settings
from localdev.atomic_moto import atomic_moto
from localdev.fast_forward import FastForward
from localdev.slack_sink import RateLimit, SlackSink
from tests.conftest import honours_retry_after
from tests.functional.test_storms import PRODUCTION_INTERVAL, failures, ledger_item, texts


@pytest.fixture
def limited_sink(slack_sink: SlackSink, fast_forward: FastForward) -> SlackSink:
    """Slack's pace, one message a second per channel, on a clock that moves only when
    the code waits (see test_storms.py)."""
    slack_sink.rate_limit = RateLimit(per_second=1, burst=1)
    return slack_sink


def test_two_concurrent_handlers_share_one_burst(
    configure, limited_sink: SlackSink, dynamodb, fast_forward: FastForward
) -> None:
    container = configure(SLACK_MIN_INTERVAL_SECONDS=PRODUCTION_INTERVAL)
    events = failures(
        300,
        user="alice",
        ips=("203.0.113.7", "198.51.100.4", "192.0.2.1"),
        every=timedelta(seconds=0.2),
    )
    results: list[str] = []
    errors: list[BaseException] = []

    def run(share: list[dict[str, Any]]) -> None:
        try:
            for event in share:
                # Generous: on the frozen clock, a handler waiting for its send slot waits,
                # in real time, for the other to finish what it is doing.
                deadline = container.clocks.monotonic() + 600
                handled = container.alerter.handle(event, deadline=deadline)
                results.append(handled.outcome.value)
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    with atomic_moto():  # DynamoDB applies each write atomically; moto needs the help
        fast_forward.run_in_threads(lambda: run(events[0::2]), lambda: run(events[1::2]))
    fast_forward.advance(Settings.burst_summary_seconds)  # the storm stopped
    container.burst_summaries(deadline=container.deadline.start_within(60))

    assert errors == []
    assert len(results) == 300
    assert len(limited_sink.messages) <= 10
    assert honours_retry_after(limited_sink)
    assert all(ledger_item(dynamodb, e["detail"]["eventID"]) for e in events)
    opened, closing = [
        t for t in texts(limited_sink) if "possible brute force on IAM user alice" in t
    ]
    assert opened.startswith("HIGH: possible brute force on IAM user alice: 20 failed sign-ins in")
    assert closing.startswith(  # every failure counted once, across both handlers
        "HIGH: possible brute force on IAM user alice: 300 failed sign-ins in 59 seconds "
        "from 3 IPs (+280 since the last message)"
    )
