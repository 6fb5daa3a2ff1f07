"""GIVEN a sign-in in a member account of an organisation, forwarded to the bus of the
account where the app runs, WHEN the handler gets it THEN the alert names the member
account (id and its Organizations name) and its region, not the account the app runs
in. Without an organization, the account the app runs in is the only one trusted: a
sign-in forwarded from any other is flagged, and never named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from chalicelib.signin.pattern import SIGNIN_EVENT_PATTERN
from chalicelib.store.schema import event_key
from tests.conftest import TABLE, load_event
from tests.functional.organization import Organization, deployed_in

FIXTURE_MEMBER = "444455556666"  # the account in member_account_forwarded.json


def forwarded_from(account_id: str) -> Any:
    text = json.dumps(load_event("member_account_forwarded.json"))
    return json.loads(text.replace(FIXTURE_MEMBER, account_id))


def test_member_account_signin_alerts_with_the_member_name_and_id(
    invoke, configure, slack_sink, dynamodb
) -> None:
    org = Organization.create()
    staging = org.account("staging", "Workloads")
    configure(ACCOUNT_NAMES=f"{org.management}=management")
    event = forwarded_from(staging)
    assert EventPattern.load(json.dumps(SIGNIN_EVENT_PATTERN)).matches_event(event)

    result = invoke(event)

    assert result["outcome"] == "posted"
    [message] = slack_sink.messages
    assert f"account {staging}" in message["text"]
    assert f"staging ({staging}), OU Workloads" in json.dumps(message["attachments"])
    assert "management" not in json.dumps(message)
    assert "outside" not in json.dumps(message)
    item = dynamodb.get_item(TableName=TABLE, Key=event_key("member-eu-west-1-0001"))["Item"]
    assert (item["account_id"]["S"], item["region"]["S"]) == (staging, "eu-west-1")


HOME = "111122223333"


@pytest.fixture
def deployed_in_home(monkeypatch: pytest.MonkeyPatch) -> None:
    deployed_in(monkeypatch, HOME)


def home_event() -> Any:
    event = forwarded_from(HOME)
    event["detail"]["eventID"] = "home-0001"
    return event


def test_without_an_organization_only_the_home_account_is_trusted(
    deployed_in_home, invoke, configure, slack_sink, dynamodb
) -> None:
    configure(ACCOUNT_NAMES=f"{HOME}=prod,{FIXTURE_MEMBER}=staging")

    invoke(forwarded_from(FIXTURE_MEMBER))
    invoke(home_event())

    outsider, home = slack_sink.messages
    assert outsider["text"].startswith("HIGH: Sign-in event from an account outside")
    assert f"{FIXTURE_MEMBER}, outside the organization" in json.dumps(outsider)
    assert "staging" not in json.dumps(outsider)
    assert f"prod ({HOME})" in json.dumps(home) and "outside" not in json.dumps(home)
    item = dynamodb.get_item(TableName=TABLE, Key=event_key("home-0001"))["Item"]
    assert item["origin"]["S"] == "home"
