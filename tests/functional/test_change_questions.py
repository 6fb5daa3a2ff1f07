"""GIVEN "Was this you?" is on WHEN an IAM user makes an account change that alerts THEN
the person who made it is asked, in words that say what changed; their own password
change (quiet) asks nobody; the digest counts changes apart from sign-ins."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.slack.digest_message import digest_message
from chalicelib.store.day_tally import DayTally
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import TABLE, load_event
from tests.functional.confirm_flow import ALICE, START, Flow, build, rendered


@pytest.fixture
def configure(configure: Callable[..., Container]) -> Callable[..., Container]:
    """Every sign-in posted (ALERT_MIN_SEVERITY=INFO unless a test says otherwise): these
    tests are about questions about account changes, not the routine roll-up (test_routine.py)."""

    def build(**settings: str) -> Container:
        return configure(**{"ALERT_MIN_SEVERITY": "INFO", **settings})

    build()
    return build


STAMP = START.strftime("%Y-%m-%dT%H:%M:%SZ")
ALICE_IDENTITY = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEALICE",
    "arn": "arn:aws:iam::123456789012:user/alice",
    "accountId": "123456789012",
    "userName": "alice",
}


def by_alice(name: str, event_id: str) -> dict[str, Any]:
    """A public record of `name`, made by the IAM user alice (the map asks her), now."""
    event = copy.deepcopy(load_event(name))
    detail = event["detail"]
    detail["userIdentity"] = dict(ALICE_IDENTITY)
    detail["recipientAccountId"] = "123456789012"
    detail["eventID"] = event["id"] = event_id
    detail["eventTime"] = event["time"] = STAMP
    return event


@pytest.fixture
def fast_forward() -> FastForward:
    return FastForward(START)


@pytest.fixture
def flow(
    dynamodb: Any,
    slack_sink: SlackSink,
    fast_forward: FastForward,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flow]:
    monkeypatch.setattr(app_module, "container", build(slack_sink, fast_forward))
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Flow(client, slack_sink, dynamodb, fast_forward)


def test_the_person_who_reset_a_password_is_asked_what_changed(flow: Flow) -> None:
    assert (
        flow.invoke(by_alice("change_update_login_profile_other.json", "c-1"))["outcome"]
        == "posted"
    )
    [alert] = flow.channel_posts()
    assert f"asked <@{ALICE}>" in rendered(alert)
    [question] = flow.dms()
    assert "Someone just made this change as you: Console password of IAM user bob reset" in (
        rendered(question)
    )
    assert question["text"].startswith("Was this you? Console password of IAM user bob reset")
    assert flow.state("c-1")["confirm_state"] == "asked"


def test_a_quiet_change_of_ones_own_password_asks_nobody(flow: Flow, dynamodb: Any) -> None:
    own = by_alice("change_change_password.json", "c-2")
    assert flow.invoke(own)["outcome"] == "not_alerted"
    assert flow.dms() == [] and flow.channel_posts() == []
    totals = DayTally(dynamodb, TABLE).read(date(2026, 11, 20)).totals
    assert totals["account_changes"] == 1
    assert totals["signins"] == 0


def test_the_digest_counts_changes_apart_from_sign_ins(flow: Flow, dynamodb: Any) -> None:
    flow.invoke(by_alice("change_update_login_profile_other.json", "c-3"))
    flow.invoke(by_alice("change_change_password.json", "c-4"))
    flow.signin("s-1")
    summary = DayTally(dynamodb, TABLE).read(date(2026, 11, 20))
    message = digest_message(summary)
    assert ", 2 account changes" in message["text"]
    assert "1 sign-in " in message["text"]
    assert "*Account changes*\\n2" in rendered(message)


def test_a_denied_change_escalates_as_a_change_with_undo_first(flow: Flow) -> None:
    flow.invoke(by_alice("change_update_login_profile_other.json", "c-5"))
    flow.clock.advance(minutes=1)

    assert flow.click("signin_not_me", "c-5").status == 200

    _alert, escalation = flow.channel_posts()
    assert "CRITICAL: alice change denied" in escalation["text"]
    text = rendered(escalation)
    assert "made a change in account" in text
    assert "Console password of IAM user bob reset" in text
    assert "0. Undo the change" in text
    [thanks] = flow.updates("D0ALICE")
    assert "The change (Console password of IAM user bob reset) as alice" in thanks["text"]
