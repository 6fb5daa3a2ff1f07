"""GIVEN sign-in events WHEN the console_signin handler runs THEN Slack and the ledger
see what a user expects, whatever Slack does."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chalicelib.store.attributes import MAX_TTL_EPOCH
from chalicelib.store.schema import event_key
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import TABLE, fixture_records, load_event


def ledger_item(dynamodb: Any, event_id: str) -> dict[str, Any]:
    item: dict[str, Any] = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id))["Item"]
    return item


def test_root_signin_posts_a_critical_alert(invoke, slack_sink: SlackSink, dynamodb) -> None:
    result = invoke(load_event("root_success_no_mfa.json"))

    assert result["outcome"] == "posted"
    [message] = slack_sink.messages
    assert message["text"].startswith("CRITICAL: Root console sign-in succeeded: root")
    assert "result success" in message["text"]
    assert "MFA no" in message["text"]
    assert "IP 67.172.93.116" in message["text"]
    item = ledger_item(dynamodb, "f77f9547-3233-4e1d-b247-e404b3924315")
    assert item["alert_status"]["S"] == "sent"


def test_duplicate_delivery_posts_once(invoke, slack_sink: SlackSink) -> None:
    event = load_event("iam_user_failure.json")

    first, second = invoke(event), invoke(event)

    assert (first["outcome"], second["outcome"]) == ("posted", "duplicate")
    assert len(slack_sink.messages) == 1


def test_slack_500_then_ok_is_retried_within_the_invocation(invoke, slack_sink) -> None:
    slack_sink.then(Reply(500, "internal_error"), Reply(503, "unavailable"))

    result = invoke(load_event("iam_user_success_no_mfa.json"))

    assert result["outcome"] == "posted"
    assert result["attempts"] == 3
    assert len(slack_sink.messages) == 1


def test_429_waits_for_retry_after(invoke, slack_sink) -> None:
    slack_sink.then(Reply(429, "rate_limited", retry_after=1))

    invoke(load_event("root_failure.json"))

    first, second = slack_sink.requests
    assert second.at - first.at > 1.0 - 1e-9  # on one clock: equal but for rounding
    assert len(slack_sink.messages) == 1


def test_failed_delivery_raises_and_the_lambda_retry_posts(
    invoke, configure, slack_sink, dynamodb
) -> None:
    configure(SLACK_MAX_ATTEMPTS="2")
    slack_sink.then(Reply(500, "down"), Reply(500, "down"))
    event = load_event("iam_user_failure.json")

    with pytest.raises(Exception, match="Slack delivery failed after 2 attempt"):
        invoke(event)
    assert ledger_item(dynamodb, event["detail"]["eventID"])["alert_status"]["S"] == "pending"

    retried = invoke(event)  # Lambda's own retry of the same event

    assert retried["outcome"] == "posted"
    assert len(slack_sink.messages) == 1
    assert ledger_item(dynamodb, event["detail"]["eventID"])["attempts"]["N"] == "3"


def test_permanent_error_is_not_retried_but_raised(invoke, slack_sink) -> None:
    slack_sink.then(Reply(404, "channel_not_found"))

    with pytest.raises(Exception, match="channel_not_found"):
        invoke(load_event("root_failure.json"))
    assert len(slack_sink.requests) == 1


def test_a_hanging_slack_times_out_and_the_next_attempt_posts(
    invoke, configure, slack_sink
) -> None:
    configure(SLACK_TIMEOUT_SECONDS="0.8")
    slack_sink.then(Reply(hang_seconds=3))

    result = invoke(load_event("root_failure.json"))

    assert result["outcome"] == "posted"
    assert result["attempts"] == 2


def test_switch_role_is_recorded_but_not_alerted(invoke, slack_sink, dynamodb) -> None:
    result = invoke(load_event("switch_role.json"))

    assert result["outcome"] == "not_alerted"
    assert slack_sink.requests == []
    event_id = load_event("switch_role.json")["detail"]["eventID"]
    assert ledger_item(dynamodb, event_id)["alert_status"]["S"] == "not_alerted"


def test_min_severity_keeps_info_out_of_slack_but_in_the_ledger(
    invoke, configure, slack_sink, dynamodb
) -> None:
    configure(ALERT_MIN_SEVERITY="HIGH")

    info = invoke(load_event("iam_user_success_mfa.json"))
    high = invoke(load_event("iam_user_success_no_mfa.json"))

    assert (info["outcome"], high["outcome"]) == ("not_alerted", "posted")
    assert len(slack_sink.messages) == 1


def test_hostile_user_name_pings_and_links_nobody(invoke, slack_sink) -> None:
    event = load_event("iam_user_failure.json")
    event["detail"]["userIdentity"]["userName"] = "<!channel> <https://evil.example|AWS>"
    event["detail"]["userAgent"] = "<!here>" + "&" * 5000

    invoke(event)

    raw = json.dumps(slack_sink.messages[0])
    assert "<!channel>" not in raw and "<!here>" not in raw
    assert "<https://evil" not in raw
    assert "&lt;!channel&gt;" in raw


def test_every_fixture_record_goes_through_the_handler(invoke, slack_sink) -> None:
    outcomes = [invoke(record["payload"])["outcome"] for record in fixture_records()]

    assert len(outcomes) == 121
    assert set(outcomes) <= {"posted", "not_alerted", "duplicate"}
    assert "posted" in outcomes and "not_alerted" in outcomes


def test_a_slack_that_always_hangs_fails_inside_the_lambda_deadline(
    invoke, configure, slack_sink, dynamodb
) -> None:
    configure(SLACK_TIMEOUT_SECONDS="0.8")
    slack_sink.then(*[Reply(hang_seconds=3)] * 5)
    event = load_event("root_failure.json")

    with pytest.raises(Exception, match="Slack delivery failed"):
        invoke(event)  # the test client gives the handler 3 seconds, like a Lambda timeout

    assert ledger_item(dynamodb, event["detail"]["eventID"])["alert_status"]["S"] == "pending"


def test_web_api_posts_to_the_channel_for_the_severity(configure, invoke, slack_sink) -> None:
    configure(
        SLACK_WEBHOOK_URL="",
        SLACK_BOT_TOKEN="xoxb-secret-token",
        SLACK_CHANNEL="C0GENERAL",
        SLACK_CHANNEL_BY_SEVERITY="CRITICAL=C0SECURITY",
        SLACK_API_URL=slack_sink.api_url,
    )

    invoke(load_event("root_success_no_mfa.json"))
    invoke(load_event("iam_user_success_mfa.json"))

    channels = [request.json["channel"] for request in slack_sink.delivered]
    assert channels == ["C0SECURITY", "C0GENERAL"]
    assert all(r.path == "/api/chat.postMessage" for r in slack_sink.requests)


def test_logs_are_one_json_line_per_signin_without_secrets(
    configure, invoke, slack_sink, capsys, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    configure(SLACK_MAX_ATTEMPTS="1")
    slack_sink.then(Reply(500, "down"))

    with pytest.raises(Exception, match="Slack delivery failed"):
        invoke(load_event("iam_user_failure.json"))
    invoke(load_event("root_success_no_mfa.json"))

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["outcome"], line["attempts"]) for line in lines] == [("failed", 1), ("posted", 1)]
    assert lines[0]["reason"] == "HTTP 500 down"
    assert lines[1]["AlertsPosted"] == 1 and "_aws" in lines[1]
    everything = json.dumps(lines) + caplog.text
    assert slack_sink.webhook_url not in everything
    assert "/services/" not in everything


@pytest.mark.parametrize(
    "event_time",
    [
        "2024-01-01T00:00:00+99:00",
        "0001-01-01T05:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-11-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
@pytest.mark.parametrize("fixture", ["root_success_no_mfa.json", "root_failure.json"])
def test_any_event_time_still_alerts_and_is_recorded(
    configure, invoke, slack_sink, dynamodb, event_time: str, fixture: str
) -> None:
    configure(DISPLAY_TIMEZONE="America/Los_Angeles")
    event = load_event(fixture)
    event["detail"]["eventTime"] = event["time"] = event_time

    invoke(event)

    assert len(slack_sink.delivered) == 1
    item = ledger_item(dynamodb, event["detail"]["eventID"])
    assert 0 <= int(item["expires_at"]["N"]) <= MAX_TTL_EPOCH
