"""GIVEN successful sign-ins from places a principal has or has not used before, and a
day of sign-ins WHEN they go through the handlers THEN new places are flagged the way a
user expects, and the daily digest tells the day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from localdev.events import console_login
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import NOW

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
US_1, US_2, GB = "8.8.8.8", "8.8.4.4", "81.2.69.160"


def alice(event_id: str, ip: str, at: datetime) -> dict[str, Any]:
    return console_login(event_id, at, user="alice", ip=ip, success=True, mfa=True)


def test_the_first_signin_is_a_silent_baseline_and_a_later_new_ip_is_flagged(
    invoke, configure, slack_sink: SlackSink
) -> None:
    configure(ALERT_MIN_SEVERITY="INFO")  # the baseline is INFO: posted too
    invoke(alice("a-1", US_1, T0))
    invoke(alice("a-2", US_2, T0 + timedelta(hours=3)))
    invoke(alice("a-3", US_2, T0 + timedelta(hours=6)))

    first, second, third = (message["text"] for message in slack_sink.messages)
    assert (
        first.startswith("INFO: Console sign-in succeeded: IAM user alice") and "new" not in first
    )
    assert second.startswith("MEDIUM: Console sign-in succeeded (new IP): IAM user alice")
    assert third.startswith("INFO: Console sign-in succeeded: IAM user alice")


def test_a_new_country_is_flagged_and_raises_one_level(invoke, slack_sink) -> None:
    invoke(alice("a-1", US_1, T0))
    invoke(alice("a-2", GB, T0 + timedelta(hours=5)))

    text = slack_sink.messages[-1]["text"]
    assert text.startswith(
        "MEDIUM: Console sign-in succeeded (new IP, new country): IAM user alice"
    )
    assert "new country (GB)" in json.dumps(slack_sink.messages[-1])


def test_two_countries_within_an_hour_is_impossible_travel(invoke, slack_sink) -> None:
    invoke(alice("a-1", US_1, T0))
    invoke(alice("a-2", GB, T0 + timedelta(minutes=20)))

    message = slack_sink.messages[-1]
    assert message["text"].startswith(
        "HIGH: Console sign-in succeeded (new IP, new country, impossible travel): IAM user alice"
    )
    assert "impossible travel: US then GB within 20 min" in json.dumps(message)


def test_trusted_networks_and_aws_internal_are_never_new(invoke, configure, slack_sink) -> None:
    configure(TRUSTED_CIDRS="8.8.4.0/24", ALERT_MIN_SEVERITY="INFO")
    invoke(alice("a-1", US_1, T0))
    invoke(alice("a-2", US_2, T0 + timedelta(hours=2)))
    invoke(alice("a-3", "AWS Internal", T0 + timedelta(hours=3)))
    invoke(alice("a-4", "10.1.2.3", T0 + timedelta(hours=4)))

    assert [m["text"].split(":")[0] for m in slack_sink.messages] == ["INFO"] * 4
    assert not any("new" in m["text"] for m in slack_sink.messages)


def test_a_retried_new_ip_alert_still_says_new_ip(invoke, configure, slack_sink) -> None:
    configure(SLACK_MAX_ATTEMPTS="1")
    invoke(alice("a-1", US_1, T0))
    slack_sink.then(Reply(500, "down"))
    event = alice("a-2", US_2, T0 + timedelta(hours=2))

    with pytest.raises(Exception, match="Slack delivery failed"):
        invoke(event)  # the Lambda fails; its retry comes next
    retried = invoke(event)

    assert retried["outcome"] == "posted"
    assert slack_sink.messages[-1]["text"].startswith("MEDIUM: Console sign-in succeeded (new IP)")


def run_digest() -> dict[str, Any]:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        payload: dict[str, Any] = client.lambda_.invoke("daily_digest", event).payload
        return payload


def test_the_daily_digest_tells_yesterday(invoke, configure, slack_sink) -> None:
    now = NOW
    yesterday = now.replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(now.hour))
    invoke(alice("d-1", US_1, yesterday))
    invoke(alice("d-2", US_2, yesterday + timedelta(hours=2)))
    invoke(console_login("d-3", yesterday, user="bob", ip=US_1, success=True, mfa=False))
    for n in range(6):
        invoke(console_login(f"d-f{n}", yesterday + timedelta(minutes=n), ip="203.0.113.9"))
    invoke(console_login("d-old", yesterday - timedelta(days=1), user="carol", success=True))
    before = len(slack_sink.messages)

    first, second = run_digest(), run_digest()

    assert first["digest"].startswith("posted for")
    assert second["digest"].startswith("already posted")
    [digest] = slack_sink.messages[before:]
    assert digest["text"] == (
        f"INFO: sign-in digest for {yesterday.date().isoformat()}: 9 sign-ins (3 success, "
        "6 failure, 0 unknown), 6 root, 1 without MFA, 1 new IP, 0 new countries, 1 burst"
    )
    body = json.dumps(digest["blocks"])
    assert "root user (123456789012): 6 sign-ins, 6 failed" in body
    assert "possible brute force on root user: 5 failed sign-ins in 4 minutes" in body
    assert "IAM user alice (123456789012) from 8.8.4.4: new IP" in body
    assert "carol" not in body


def test_the_digest_is_off_by_default(invoke, slack_sink) -> None:
    assert run_digest() == {"digest": "disabled"}
    assert slack_sink.requests == []


def test_the_digest_waits_for_its_hour(configure, slack_sink) -> None:
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str((NOW.hour + 1) % 24))

    assert run_digest()["digest"].startswith("waiting for")
    assert slack_sink.requests == []
