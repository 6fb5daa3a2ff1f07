"""GIVEN a console password reset by someone else, or an MFA device removed, and a
console sign-in of that user WHEN the real handlers run the two records, in either
order of arrival, or in two invocations at once THEN one alert says the sign-in came
after the change (what, when, by whom) at least HIGH; outside TAKEOVER_WINDOW_HOURS,
or after the user's own change, nothing is said."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.alerting.values import Step
from chalicelib.container import Container
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import load_event, slack_env


@pytest.fixture
def configure(configure: Callable[..., Container]) -> Callable[..., Container]:
    """Every sign-in posted (ALERT_MIN_SEVERITY=INFO unless a test says otherwise): these
    tests are about the takeover correlation, not the routine roll-up (test_routine.py)."""

    def build(**settings: str) -> Container:
        return configure(**{"ALERT_MIN_SEVERITY": "INFO", **settings})

    build()
    return build


T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
ACCOUNT = "987654321"  # the Panther record's account


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def reset_of_bob(at: datetime = T0, event_id: str = "reset-bob") -> dict[str, Any]:
    """Panther's UpdateLoginProfile record (a role session resets bob's password)."""
    event = copy.deepcopy(load_event("change_update_login_profile_other.json"))
    event["detail"]["eventTime"] = event["time"] = stamp(at)
    event["detail"]["eventID"] = event["id"] = event_id
    return event


def bob_signs_in(at: datetime, event_id: str = "bob-in") -> dict[str, Any]:
    return console_login(event_id, at, user="bob", ip="198.51.100.9", success=True, mfa=True,
                         account=ACCOUNT)  # fmt: skip


def text_of(message: dict[str, Any]) -> str:
    """Everything a reader sees: the notification and every block's text."""
    parts = [message.get("text", "")]
    for attachment in message.get("attachments", []):
        for block in attachment.get("blocks", []):
            parts.append(str(block.get("text", {}).get("text", "")))
    return "\n".join(parts)


@pytest.fixture
def run(configure: Callable[..., Container]) -> Any:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:

        def handle(event: dict[str, Any]) -> dict[str, Any]:
            name = "console_signin" if event["source"] == "aws.signin" else "account_change"
            payload: dict[str, Any] = client.lambda_.invoke(name, event).payload
            return payload

        yield handle


def test_a_signin_after_its_password_was_reset_by_someone_else_says_so(
    run: Any, slack_sink: SlackSink
) -> None:
    assert run(reset_of_bob())["severity"] == "HIGH"
    signed_in = run(bob_signs_in(T0 + timedelta(hours=2)))
    assert signed_in["severity"] == "HIGH"  # an IAM user with MFA: INFO by itself
    alert = text_of(slack_sink.messages[-1])
    assert alert.startswith("HIGH: Possible takeover: ")
    assert (
        "Console password of IAM user bob reset by role IAM, session alice at "
        "2026-11-20 09:00 UTC, 2 h before this sign-in: possible takeover" in alert
    )


def test_a_signin_whose_record_arrives_first_is_told_by_the_change(
    run: Any, slack_sink: SlackSink
) -> None:
    assert run(bob_signs_in(T0 + timedelta(minutes=30)))["severity"] == "INFO"
    changed = run(reset_of_bob())
    assert changed["severity"] == "HIGH"
    alert = text_of(slack_sink.messages[-1])
    assert alert.startswith("HIGH: Possible takeover: Console password of IAM user bob reset")
    assert (
        "IAM user bob signed in to the console at 2026-11-20 09:30 UTC from 198.51.100.9, "
        "30 min after this change: possible takeover" in alert
    )


def test_a_signin_before_the_change_or_past_the_window_is_not_linked(
    run: Any, slack_sink: SlackSink
) -> None:
    run(bob_signs_in(T0 - timedelta(minutes=5), "before"))
    run(reset_of_bob())
    run(bob_signs_in(T0 + timedelta(hours=24, minutes=1), "after-window"))
    assert not any("takeover" in text_of(message) for message in slack_sink.messages)


def test_the_window_is_a_setting(configure: Callable[..., Container], run: Any, slack_sink) -> None:
    configure(TAKEOVER_WINDOW_HOURS="1")
    run(reset_of_bob())
    assert run(bob_signs_in(T0 + timedelta(minutes=61)))["severity"] == "INFO"
    assert run(bob_signs_in(T0 + timedelta(minutes=59), "in"))["severity"] == "HIGH"


def test_mfa_removed_then_a_signin_says_so(run: Any, slack_sink: SlackSink) -> None:
    removed = load_event("change_deactivate_mfa.json")  # root deactivates user1's device
    run(removed)
    at = datetime(2018, 6, 9, 19, 0, tzinfo=UTC)
    user1 = console_login("u1", at, user="user1", success=True, mfa=False, account="012345678901")
    run(user1)
    alert = text_of(slack_sink.messages[-1])
    assert "MFA device of IAM user user1 deactivated by root user at 2018-06-09 18:54 UTC" in alert


def test_a_users_own_password_change_is_no_takeover(run: Any, slack_sink: SlackSink) -> None:
    own = load_event("change_change_password.json")  # test_user, 2019-12-31 01:50
    run(own)
    at = datetime(2019, 12, 31, 2, 30, tzinfo=UTC)
    verdict = run(console_login("j", at, user="test_user", success=True, mfa=True,
                                account="123456789012"))  # fmt: skip
    assert verdict["severity"] == "INFO"
    assert slack_sink.messages and "takeover" not in text_of(slack_sink.messages[-1])


@pytest.mark.parametrize("first", ["signin", "change"])
def test_two_concurrent_invocations_one_alert_tells_it(
    first: str, slack_sink: SlackSink, fast_forward: FastForward, dynamodb: Any
) -> None:
    """The first invocation gathers, then, just before its commit, the other runs
    whole: the first's commit loses the race on the takeover item, it gathers again and
    sees the other's mark. Both records alert; exactly one says takeover."""
    events = {"signin": bob_signs_in(T0 + timedelta(hours=1)), "change": reset_of_bob()}
    other = "change" if first == "signin" else "signin"
    env = slack_env(slack_sink, ALERT_MIN_SEVERITY="INFO")  # both posted, whatever arrives first
    late = Container(env, clocks=fast_forward.clocks())
    outcomes: list[str] = []
    ran = False

    def before_commit(step: Step) -> None:
        nonlocal ran
        if step is Step.COMMIT and not ran:
            ran = True
            done = late.alerter.handle(events[other], deadline=fast_forward.monotonic() + 600)
            outcomes.append(done.outcome.value)

    early = Container(env, clocks=fast_forward.clocks(), on_step=before_commit)
    done = early.alerter.handle(events[first], deadline=fast_forward.monotonic() + 600)
    outcomes.append(done.outcome.value)

    assert outcomes == ["posted", "posted"]
    told = [message for message in slack_sink.messages if "takeover" in text_of(message)]
    assert len(told) == 1
    # The loser is the first: it decided again with the other's mark in view.
    assert told[0]["text"].startswith("HIGH: Possible takeover: ")
    assert ("Console password" in told[0]["text"]) is (first == "change")
