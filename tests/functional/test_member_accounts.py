"""GIVEN a sign-in in a member account of an organisation, forwarded to the bus of the
account where the app runs, WHEN the handler gets it THEN the alert names the member
account (id and friendly name) and its region, not the account the app runs in."""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import EventPattern

from chalicelib.signin.pattern import SIGNIN_EVENT_PATTERN
from chalicelib.store.schema import event_key
from tests.conftest import TABLE, load_event


def test_member_account_signin_alerts_with_the_member_name_and_id(
    invoke, configure, slack_sink, dynamodb
) -> None:
    configure(ACCOUNT_NAMES="111122223333=management,444455556666=staging")
    event: Any = load_event("member_account_forwarded.json")
    assert EventPattern.load(json.dumps(SIGNIN_EVENT_PATTERN)).matches_event(event)

    result = invoke(event)

    assert result["outcome"] == "posted"
    [message] = slack_sink.messages
    assert "account 444455556666" in message["text"]
    assert "staging (444455556666)" in json.dumps(message["attachments"])
    assert "management" not in json.dumps(message)
    item = dynamodb.get_item(TableName=TABLE, Key=event_key("member-eu-west-1-0001"))["Item"]
    assert (item["account_id"]["S"], item["region"]["S"]) == ("444455556666", "eu-west-1")
