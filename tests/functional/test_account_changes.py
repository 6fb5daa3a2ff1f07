"""GIVEN a public record of each declared account-change event WHEN it goes through the
real handler its pattern delivers it to THEN EventBridge's pattern (moto's) matches it,
it is recorded once and alerts at its declared severity (or stays quiet), a duplicate
delivery posts nothing more, and `/recent-logins changes` and the digest count it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client
from moto.events.models import EventPattern

import app as app_module
from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.change_events import DECLARED_EVENTS, DeclaredEvent, Subscription
from chalicelib.signin.parse import parse_signin
from chalicelib.signin.pattern import FORWARDED_PATTERNS
from chalicelib.store.schema import day_counter_key, event_key
from localdev.fast_forward import FastForward
from localdev.signins import Login
from localdev.slack_sink import RateLimit, SlackSink
from tests.conftest import NOW, TABLE, load_event
from tests.functional.conftest import Slash

HANDLERS = {Subscription.SIGNINS: "console_signin", Subscription.CHANGES: "account_change"}

# The record of each declared event, and what the alert's top-level text starts with
# (None: recorded, listed and counted, but quiet).
EXPECTED: dict[str, str | None] = {
    "CreateLoginProfile": "HIGH: Console password given to IAM user Cli1",
    "UpdateLoginProfile": "HIGH: Console password of IAM user bob reset",
    "ChangePassword": None,
    "DeactivateMFADevice": "HIGH: MFA device of IAM user user1 deactivated",
    "DeleteVirtualMFADevice": "HIGH: Virtual MFA device deleted",
    "EnableMFADevice": "HIGH: MFA device enabled for IAM user user1",
    "CreateAccessKey": "CRITICAL: Access key created for the root user",
    "UpdateAccessKey": "HIGH: Access key of the root user activated or deactivated",
    "DeleteAccessKey": "HIGH: Access key of the root user deleted",
    "PasswordUpdated": "HIGH: Password of the root user changed by its own user",
    "EmailUpdated": "HIGH: E-mail address of the root user changed",
    "AssumeRoot": "HIGH: Root task session started in account 222222222222",
    "GetFederationToken": None,
    "GetSigninToken": "MEDIUM: Console access made from access keys",
}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """EventBridge's verdict, as moto applies it."""
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))


class Handlers:
    def __init__(self, client: Client) -> None:
        self._client = client

    def __call__(self, declared: DeclaredEvent, event: dict[str, Any]) -> dict[str, Any]:
        name = HANDLERS[declared.subscription]
        payload: dict[str, Any] = self._client.lambda_.invoke(name, event).payload
        return payload


@pytest.fixture
def handle(configure: Any) -> Any:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Handlers(client)


def test_every_declared_event_has_a_record_and_an_expectation() -> None:
    assert {event.event_name for event in DECLARED_EVENTS} == set(EXPECTED)
    for event in DECLARED_EVENTS:
        record = load_event(event.record)["detail"]
        assert (record["eventSource"], record["eventName"]) == (
            event.event_source,
            event.event_name,
        )


@pytest.mark.parametrize("declared", DECLARED_EVENTS, ids=lambda event: event.event_name)
def test_the_pattern_of_its_handler_and_no_other_matches_it(declared: DeclaredEvent) -> None:
    event = load_event(declared.record)
    matching = {name for name, pattern in FORWARDED_PATTERNS.items() if matches(pattern, event)}
    assert matching == {declared.subscription.value}


def test_the_change_pattern_names_events_never_all_api_calls() -> None:
    pattern = FORWARDED_PATTERNS["changes"]
    other = load_event("change_create_login_profile.json")
    other["detail"]["eventName"] = "CreateUser"
    assert not matches(pattern, other)
    # CreateAccessKey is subscribed for the root user only.
    key = load_event("change_root_create_access_key.json")
    key["detail"]["userIdentity"] = load_event("change_create_login_profile.json")["detail"][
        "userIdentity"
    ]
    assert not matches(pattern, key)


@pytest.mark.parametrize("declared", DECLARED_EVENTS, ids=lambda event: event.event_name)
def test_each_event_alerts_at_its_declared_severity_once(
    declared: DeclaredEvent, handle: Handlers, slack_sink: SlackSink, dynamodb: Any
) -> None:
    event = load_event(declared.record)
    first = handle(declared, event)
    expected = EXPECTED[declared.event_name]
    if expected is None:
        assert first["outcome"] == "not_alerted"
        assert first["severity"] == "LOW"
        assert slack_sink.messages == []
    else:
        assert first["outcome"] == "posted"
        assert first["severity"] == expected.split(":")[0]
        [message] = slack_sink.messages
        assert message["text"].startswith(expected)
    again = handle(declared, event)
    assert again["outcome"] == "duplicate"
    assert len(slack_sink.messages) == (0 if expected is None else 1)
    day = event["detail"]["eventTime"][:10]
    counter = dynamodb.get_item(TableName=TABLE, Key=day_counter_key(day))
    assert counter["Item"]["changes"]["N"] == "1"
    assert "signins" not in counter["Item"]  # a change is never counted as a sign-in


def create_login_profiles(count: int) -> list[dict[str, Any]]:
    """The public CreateLoginProfile record, `count` times: one IAM user giving `count`
    users a console password, one every half second."""
    template = load_event("change_create_login_profile.json")
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    events = []
    for n in range(count):
        event = copy.deepcopy(template)
        detail = event["detail"]
        detail["eventID"] = event["id"] = f"clp-{n}"
        detail["eventTime"] = event["time"] = (start + timedelta(seconds=n / 2)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        detail["requestParameters"]["userName"] = f"user{n}"
        events.append(event)
    return events


def test_a_storm_of_500_password_grants_is_a_few_messages(
    handle: Handlers,
    slack_sink: SlackSink,
    configure: Any,
    dynamodb: Any,
    fast_forward: FastForward,
) -> None:
    slack_sink.rate_limit = RateLimit(per_second=1, burst=1)
    configure(SLACK_MIN_INTERVAL_SECONDS=str(Settings.slack_min_interval_seconds))
    declared = next(e for e in DECLARED_EVENTS if e.event_name == "CreateLoginProfile")
    events = create_login_profiles(500)

    outcomes = [handle(declared, event)["outcome"] for event in events]

    texts = [message.get("text", "") for message in slack_sink.messages]
    assert len(texts) <= 10
    assert outcomes.count("posted") == len(texts)
    assert all(text.startswith("HIGH: ") for text in texts)
    storm = [text for text in texts if "account-change storm" in text]
    assert storm[0].startswith(
        "HIGH: possible account-change storm by IAM user CanCreateBuddyAccount: "
        "20 account changes in"
    )
    counter = dynamodb.get_item(TableName=TABLE, Key=day_counter_key("2026-11-20"))["Item"]
    assert counter["changes"]["N"] == "500"  # every one recorded and counted
    later = dynamodb.get_item(TableName=TABLE, Key=event_key("clp-400"))["Item"]
    assert later["skip_reason"]["S"].startswith("part of burst: possible account-change storm")

    # Once it stops, the minute sweep closes the story with the whole count.
    fast_forward.advance(300)
    container = configure(SLACK_MIN_INTERVAL_SECONDS=str(Settings.slack_min_interval_seconds))
    container.minute_sweeps(deadline=fast_forward.monotonic() + 60)
    closing = slack_sink.messages[-1]["text"]
    assert closing.startswith(
        "HIGH: possible account-change storm by IAM user CanCreateBuddyAccount: "
        "500 account changes in 4 minutes from 1 IP (+480 since the last message)"
    )
    assert len(slack_sink.messages) <= 11


def test_recent_logins_lists_changes_under_their_own_filter(slash: Slash) -> None:
    """A change is listed by `changes`, with what it changed and who changed it, and
    counted apart from sign-ins; a name or an account with `changes` is refused."""
    now = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    reset = load_event("change_update_login_profile_other.json")
    reset["detail"]["eventTime"] = reset["time"] = now
    signin = Login("s-1", NOW - timedelta(minutes=5), name="carol").record()
    for event in (reset, signin):
        parsed = parse_signin(event, received_at=NOW)
        slash.container.ledger.record(parsed, evaluate(parsed, slash.container.settings))

    changes = slash("changes")
    assert "Console password of IAM user bob reset · by *role `IAM`, session `alice`*" in (
        changes.text
    )
    assert "carol" not in changes.text
    everything = slash()
    assert "carol" in everything.text and "bob reset" not in everything.text
    assert (
        "1 of 1 sign-in in the last 7 days: 0 failed, 0 root, 0 without MFA; 1 account change"
        in (everything.text)
    )
    refused = slash("alice changes")
    assert "`changes`" in refused.text and "give it alone" in refused.text


def test_a_ledger_with_only_changes_lists_them(slash: Slash) -> None:
    """The first change before any sign-in: the ledger is not "empty"."""
    reset = load_event("change_update_login_profile_other.json")
    reset["detail"]["eventTime"] = reset["time"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    parsed = parse_signin(reset, received_at=NOW)
    slash.container.ledger.record(parsed, evaluate(parsed, slash.container.settings))

    listed = json.dumps(slash("changes").json, ensure_ascii=False)
    assert "Console password of IAM user bob reset" in listed
    assert "ledger is empty" not in json.dumps(slash().json)
