"""GIVEN "Was this you?" is on WHEN the pipeline posts an alert that asks THEN the
question is an after-post step: its DynamoDB calls are pinned, and whatever fails while
asking (a DynamoDB write, the "sent" mark, a crash and Lambda's retry) the alert is
posted and the person is asked at most once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.alerting.values import Step
from chalicelib.container import Container
from chalicelib.store.day_tally import DayTally
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import TABLE
from tests.functional.confirm_flow import (
    ALICE,
    START,
    Flow,
    build,
    confirm_env,
    rendered,
)


class Faults:
    """Counts the DynamoDB calls of the app's client; raises in the ones chosen."""

    def __init__(self, container: Container) -> None:
        self.names: list[str] = []
        self.fail_when: str = ""  # a text of the request that makes it fail
        self.failed = 0
        container.dynamodb.meta.events.register("before-call.dynamodb", self._seen)

    def _seen(self, model: Any, params: Any, **_: Any) -> None:
        self.names.append(model.name)
        if self.fail_when and self.fail_when in str(params):
            self.failed += 1
            raise ConnectionError(f"injected before {model.name}")


@pytest.fixture
def fast_forward() -> FastForward:
    """The app's and the sink's clock, from the flow's start (its sign-ins' time)."""
    return FastForward(START)


@pytest.fixture
def clock(fast_forward: FastForward) -> FastForward:
    return fast_forward


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(app_module.app, stage_name="dev-us-east-1") as test_client:
        yield test_client


def use(container: Container, monkeypatch: pytest.MonkeyPatch) -> Faults:
    monkeypatch.setattr(app_module, "container", container)
    return Faults(container)


def asked_count(dynamodb: Any) -> int:
    return DayTally(dynamodb, TABLE).read(date(2026, 11, 20)).totals["asked"]


def test_asking_adds_two_pinned_calls_and_its_counter_joins_the_sent_mark(
    dynamodb: Any,
    slack_sink: SlackSink,
    clock: FastForward,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faults = use(build(slack_sink, clock), monkeypatch)
    flow = Flow(client, slack_sink, dynamodb, clock)

    assert flow.signin("e-1")["outcome"] == "posted"

    assert faults.names == [
        "BatchGetItem",  # gather
        "TransactWriteItems",  # commit: recorded, counted, claimed (message says "asked")
        "UpdateItem",  # the channel's send slot (the alert)
        "UpdateItem",  # the DM's send slot
        "UpdateItem",  # asked: the question's state, conditional
        "TransactWriteItems",  # sent, with the day's "asked" counter
    ]
    assert f"asked <@{ALICE}>" in rendered(flow.channel_posts()[0])
    assert len(flow.dms()) == 1
    assert flow.item("e-1")["alert_status"]["S"] == "sent"
    assert flow.state("e-1")["confirm_state"] == "asked"
    assert asked_count(dynamodb) == 1


def test_a_failed_asked_write_still_posts_the_alert_once_and_marks_it_sent(
    dynamodb: Any,
    slack_sink: SlackSink,
    clock: FastForward,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faults = use(build(slack_sink, clock), monkeypatch)
    faults.fail_when = "confirm_state = :asked"
    flow = Flow(client, slack_sink, dynamodb, clock)

    assert flow.signin("e-1")["outcome"] == "posted"

    assert faults.failed == 1
    assert len(flow.channel_posts()) == 1
    assert len(flow.dms()) == 1
    assert flow.item("e-1")["alert_status"]["S"] == "sent"
    assert "confirm_state" not in flow.item("e-1")
    assert asked_count(dynamodb) == 0  # not recorded, so not counted
    # Lambda does not retry a posted alert: the same event again is a duplicate.
    assert flow.signin("e-1")["outcome"] == "duplicate"
    assert len(flow.channel_posts()) == 1 and len(flow.dms()) == 1


def test_a_crash_before_the_sent_mark_finds_the_alert_and_never_asks_twice(
    dynamodb: Any,
    slack_sink: SlackSink,
    clock: FastForward,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Posted, then the container dies before the "sent" mark. The retry after the
    lease takes over and, with the Web API, finds the alert in the channel by its
    eventID (conversations.history): it is not posted again. The question was
    recorded, so nobody is asked twice and the counter counts it once."""

    def die_before_sent(step: Step) -> None:
        if step is Step.MARK_SENT:
            raise SystemError("the container died here")

    crashing = Container(confirm_env(slack_sink), clocks=clock.clocks(), on_step=die_before_sent)
    use(crashing, monkeypatch)
    flow = Flow(client, slack_sink, dynamodb, clock)
    assert flow.signin("e-1")["outcome"] == "posted"
    assert flow.item("e-1")["alert_status"]["S"] == "delivering"
    assert flow.state("e-1")["confirm_state"] == "asked"

    clock.advance(minutes=5)  # the claim's lease ran out
    use(build(slack_sink, clock), monkeypatch)
    assert flow.signin("e-1")["outcome"] == "posted"

    [first] = flow.channel_posts()
    assert f"asked <@{ALICE}>" in rendered(first)
    assert len(slack_sink.history_reads) == 1
    assert len(flow.dms()) == 1
    assert [r.json["users"] for r in flow.calls("conversations.open")] == [ALICE]
    assert flow.item("e-1")["alert_status"]["S"] == "sent"
    assert asked_count(dynamodb) == 0  # the crashed mark carried the counter


def test_a_takeover_of_an_unasked_alert_asks_the_user_its_message_names(
    dynamodb: Any,
    slack_sink: SlackSink,
    clock: FastForward,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Crash after the commit, before the post: the stored message says "asked <@U>",
    so the invocation that takes it over asks that user."""

    def die_before_delivery(step: Step) -> None:
        if step is Step.DELIVER:
            raise SystemError("the container died here")

    crashing = Container(
        confirm_env(slack_sink), clocks=clock.clocks(), on_step=die_before_delivery
    )
    use(crashing, monkeypatch)
    flow = Flow(client, slack_sink, dynamodb, clock)
    with pytest.raises(SystemError):
        flow.signin("e-1")
    assert flow.channel_posts() == [] and flow.dms() == []

    clock.advance(minutes=5)
    use(build(slack_sink, clock), monkeypatch)
    assert flow.signin("e-1")["outcome"] == "posted"

    [alert] = flow.channel_posts()
    assert f"asked <@{ALICE}>" in rendered(alert)
    assert len(flow.dms()) == 1
    assert flow.state("e-1")["confirm_state"] == "asked"
    assert asked_count(dynamodb) == 1


def test_nothing_asks_and_no_call_is_added_when_confirmations_are_off(
    dynamodb: Any,
    slack_sink: SlackSink,
    clock: FastForward,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faults = use(build(slack_sink, clock, CONFIRM_ENABLED="false"), monkeypatch)
    flow = Flow(client, slack_sink, dynamodb, clock)

    assert flow.signin("e-1", at=START + timedelta(minutes=1))["outcome"] == "posted"

    assert faults.names == ["BatchGetItem", "TransactWriteItems", "UpdateItem", "UpdateItem"]
    assert "asked" not in rendered(flow.channel_posts()[0])
    assert flow.dms() == [] and flow.calls("conversations.open") == []
