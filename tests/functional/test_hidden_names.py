"""GIVEN a sign-in whose user name AWS hid (`HIDDEN_DUE_TO_SECURITY_REASONS`: the name
typed is not a user of that account) and one whose record names nobody WHEN they go
through the handlers THEN the first reads "unknown user", with why, in the alert, the
burst message, `/recent-logins` and the digest; the second stays "name not recorded"."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.container import Container
from chalicelib.store.schema import event_key
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, TABLE, load_event
from tests.functional.conftest import Invoker, Slash
from tests.functional.test_places_and_digest import run_digest

HIDDEN = "hidden_user_failure.json"
NAMELESS = "nameless_iam_user_failure.json"
WHY = "name hidden by AWS: not a user of this account"


def at(name: str, event_id: str, when: datetime) -> dict[str, Any]:
    event = copy.deepcopy(load_event(name))
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"].update(eventID=event_id, eventTime=stamp)
    event.update(id=f"envelope-{event_id}", time=stamp)
    return event


def principal_field(message: dict[str, Any]) -> str:
    [fields] = [
        block["fields"] for block in message["attachments"][0]["blocks"] if "fields" in block
    ]
    text: str = fields[0]["text"]
    return text


def test_a_hidden_name_alerts_as_unknown_user_and_says_why(
    invoke: Invoker, slack_sink: SlackSink, dynamodb: Any
) -> None:
    assert invoke(load_event(HIDDEN))["outcome"] == "posted"
    assert invoke(load_event(NAMELESS))["outcome"] == "posted"

    hidden, nameless = slack_sink.messages
    assert hidden["text"].startswith("MEDIUM: Console sign-in failed: unknown user, result")
    assert principal_field(hidden) == f"*Principal*\nunknown user\n_{WHY}_"
    assert "name not recorded" not in json.dumps(hidden)
    assert "IAM user (name not recorded), result failure" in nameless["text"]
    assert principal_field(nameless) == "*Principal*\nIAM user (name not recorded)"
    assert "hidden" not in json.dumps(nameless)
    item = dynamodb.get_item(TableName=TABLE, Key=event_key("a7654656-0417-45c6-9386-ea8231385051"))
    assert item["Item"]["name_status"] == {"S": "hidden"}


def test_recent_logins_lists_a_hidden_name_as_unknown_user(invoke: Invoker, slash: Slash) -> None:
    now = NOW
    invoke(at(HIDDEN, "h-1", now - timedelta(minutes=5)))
    invoke(at(NAMELESS, "n-1", now - timedelta(minutes=4)))

    reply = slash("failed")

    assert reply.status == 200
    [hidden_line] = [line for line in reply.text.split("\\n") if "192.0.2.101" in line]
    [nameless_line] = [line for line in reply.text.split("\\n") if "198.51.100.23" in line]
    assert f"*unknown user* ({WHY})" in hidden_line
    assert "name not recorded" not in hidden_line
    assert "*IAM user (name not recorded)*" in nameless_line
    assert "hidden" not in nameless_line


def test_a_burst_of_hidden_names_is_on_unknown_user(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    configure(BURST_FAILURES="3", FAILURE_ALERTS_BEFORE_BURST="1")
    start = NOW - timedelta(minutes=10)
    for n in range(3):
        invoke(at(HIDDEN, f"b-{n}", start + timedelta(minutes=n)))

    burst = slack_sink.messages[-1]
    assert "possible brute force on unknown user: 3 failed sign-ins" in burst["text"]
    assert "name not recorded" not in json.dumps(burst)


def test_the_digest_counts_hidden_names_apart_from_its_busiest_principals(
    invoke: Invoker, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    now = NOW
    yesterday = now.replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(now.hour))
    invoke(at(HIDDEN, "d-h", yesterday))
    invoke(at(NAMELESS, "d-n", yesterday + timedelta(minutes=1)))
    before = len(slack_sink.messages)

    assert run_digest()["digest"].startswith("posted for")

    [digest] = slack_sink.messages[before:]
    body = json.dumps(digest["blocks"], ensure_ascii=False)
    # Issue 25: a name AWS hid is no principal: counted after the busiest, never in it.
    assert "unknown user" not in body
    assert "names AWS hid (not users of this account): 1 sign-in" in body
    assert "IAM user (name not recorded) (0000000000): 1 sign-in, 1 failed" in body
