"""GIVEN a root sign-in with MFA, two CloudTrail records (CheckMfa, then ConsoleLogin)
WHEN the real handler runs them, in either order, or at once THEN Slack gets one
message, the ConsoleLogin's, with the CheckMfa's MFA type; a CheckMfa no sign-in
follows alerts HIGH by itself after ROOT_MFA_WAIT_MINUTES, from the minute sweep, once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from localdev.atomic_moto import atomic_moto
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import load_event

WAIT_SECONDS = 5 * 60
UNFOLLOWED = (
    "HIGH: Root password accepted, but no sign-in followed: root user, result success, "
    "MFA no, IP 192.0.2.0, account 111122223333"
)


def check_mfa(event_id: str = "", ip: str = "") -> dict[str, Any]:
    return _variant(load_event("root_check_mfa.json"), event_id, ip)


def signin(event_id: str = "", ip: str = "") -> dict[str, Any]:
    return _variant(load_event("root_success_after_check_mfa.json"), event_id, ip)


def _variant(event: dict[str, Any], event_id: str, ip: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    if event_id:
        event["detail"]["eventID"] = event["id"] = event_id
    if ip:
        event["detail"]["sourceIPAddress"] = ip
    return event


def texts(sink: SlackSink) -> list[str]:
    return [message.get("text", "") for message in sink.messages]


def sweep(container: Container) -> dict[str, int]:
    """One run of the minute schedule, as app.py starts it: a fresh deadline."""
    return container.minute_sweeps(deadline=container.deadline.start_within(60))


def test_checkmfa_then_signin_is_one_message_with_the_mfa_type(invoke, slack_sink) -> None:
    assert invoke(check_mfa())["outcome"] == "not_alerted"
    assert slack_sink.messages == []

    assert invoke(signin())["outcome"] == "posted"

    [text] = texts(slack_sink)
    assert text.startswith(
        "CRITICAL: Root console sign-in succeeded: root user, result success, "
        "MFA yes (U2F MFA, arn:aws:iam::111122223333:mfa/root-account-mfa-device), "
        "IP 192.0.2.0"
    )
    shown = str(slack_sink.messages[0]["attachments"])
    assert "MFA checked (U2F MFA) by CheckMfa 3c0a6f0e-7d3b-4c52-9a39-5f1c2b7e8d41" in shown


def test_signin_then_checkmfa_is_one_message_and_the_sweep_adds_none(
    invoke, configure, slack_sink, fast_forward: FastForward
) -> None:
    container = configure()
    assert invoke(signin())["outcome"] == "posted"

    assert invoke(check_mfa())["outcome"] == "not_alerted"
    fast_forward.advance(WAIT_SECONDS + 60)
    swept = sweep(container)

    assert swept["root_mfa_due"] == 0
    [text] = texts(slack_sink)
    assert text.startswith("CRITICAL: Root console sign-in succeeded: root user")


def test_a_checkmfa_nobody_follows_alerts_high_once_after_the_wait(
    invoke, configure, slack_sink, fast_forward: FastForward
) -> None:
    container = configure()
    assert invoke(check_mfa())["outcome"] == "not_alerted"
    assert sweep(container)["root_mfa_due"] == 0  # still waiting
    assert slack_sink.messages == []

    fast_forward.advance(WAIT_SECONDS)
    first = sweep(container)
    fast_forward.advance(60)
    later = sweep(container)

    assert (first["root_mfa_alerted"], later["root_mfa_due"]) == (1, 0)
    [text] = texts(slack_sink)
    assert text == UNFOLLOWED
    why = str(slack_sink.messages[0]["attachments"])
    assert "no sign-in followed within 5 minutes" in why
    assert "did not pass MFA (U2F MFA)" in why
    # A sign-in after the alert is still told, by itself.
    assert invoke(signin())["outcome"] == "posted"
    assert texts(slack_sink)[1].startswith("CRITICAL: Root console sign-in succeeded")


def test_two_concurrent_sweeps_post_it_once(
    invoke, configure: Callable[..., Container], slack_sink, fast_forward: FastForward
) -> None:
    one, other = configure(), configure()
    for n in range(3):  # three CheckMfa records, from three IPs: three alerts
        assert invoke(check_mfa(f"check-{n}", f"192.0.2.{n}"))["outcome"] == "not_alerted"
    fast_forward.advance(WAIT_SECONDS)
    results: list[dict[str, int]] = []

    with atomic_moto():  # DynamoDB applies each write atomically; moto needs the help
        fast_forward.run_in_threads(
            lambda: results.append(sweep(one)),
            lambda: results.append(sweep(other)),
        )
    again = sweep(one)

    assert sum(result["root_mfa_alerted"] for result in results) == 3
    assert again["root_mfa_due"] == 0
    assert sorted(text.split(", IP ")[1].split(",")[0] for text in texts(slack_sink)) == [
        "192.0.2.0",
        "192.0.2.1",
        "192.0.2.2",
    ]


def test_the_two_records_in_two_concurrent_invocations_are_one_message(
    configure: Callable[..., Container], slack_sink, fast_forward: FastForward
) -> None:
    pairs = 4
    errors: list[BaseException] = []

    def run(container: Container, event: dict[str, Any]) -> None:
        try:
            container.alerter.handle(event, deadline=fast_forward.monotonic() + 600)
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    with atomic_moto():
        for n in range(pairs):  # two Lambda instances, one record each, at once
            one, other = configure(), configure()
            ip = f"198.51.100.{n}"
            fast_forward.run_in_threads(
                lambda: run(one, check_mfa(f"c-{n}", ip)),  # noqa: B023 (joined here)
                lambda: run(other, signin(f"s-{n}", ip)),  # noqa: B023
            )
        fast_forward.advance(WAIT_SECONDS)
        swept = sweep(configure())

    assert errors == []
    assert swept["root_mfa_alerted"] == 0
    assert len(slack_sink.messages) == pairs
    assert all(
        text.startswith("CRITICAL: Root console sign-in succeeded") for text in texts(slack_sink)
    )


def test_the_schedule_runs_the_sweep(
    invoke, configure, slack_sink, fast_forward: FastForward
) -> None:
    configure()
    invoke(check_mfa())
    fast_forward.advance(WAIT_SECONDS)

    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        tick = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        result = client.lambda_.invoke("burst_summaries", tick).payload

    assert result["root_mfa_alerted"] == 1
    assert texts(slack_sink) == [UNFOLLOWED]
