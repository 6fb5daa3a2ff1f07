"""GIVEN sign-in records that carry (or lack) MFA evidence, root identities, look-alike
names and hostile text WHEN they go through the real handler THEN the Slack message
(title, fields, notification text) and the ledger that `/recent-logins` reads say
exactly what the record says, in the same words.

Records: tests/events (see SOURCES.md): public where one exists, else written from the
documented shape and labelled so there.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.store.schema import event_key
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, TABLE, load_event
from tests.functional.conftest import Slash
from tests.functional.test_public_records import as_lambda_does


def recent(name: str, **changes: Any) -> dict[str, Any]:
    """The event, re-timed to a minute ago (so `/recent-logins` lists it), with fields
    of its record replaced (`None` drops the field)."""
    event = copy.deepcopy(load_event(name))
    record = event.get("detail", event)
    moment = (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record["eventTime"] = moment
    if "detail" in event:
        event["time"] = moment
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return event


def fields(message: dict[str, Any]) -> dict[str, str]:
    """Each field's label and value as Slack shows them."""
    section = message["attachments"][0]["blocks"][0]
    return dict(field["text"][1:].split("*\n", 1) for field in section["fields"])


def header(message: dict[str, Any]) -> str:
    text: str = message["blocks"][0]["text"]["text"]
    return text


def why(message: dict[str, Any]) -> str:
    for block in message["attachments"][0]["blocks"]:
        text = block.get("text", {}).get("text", "")
        if text.startswith("*Why*"):
            return str(text)
    return ""


def ledger(dynamodb: Any, event: dict[str, Any]) -> dict[str, Any]:
    event_id = event.get("detail", event)["eventID"]
    item = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id))["Item"]
    return {name: value.get("S", value.get("N", value.get("SS"))) for name, value in item.items()}


def listed_line(slash: Slash, words: str = "") -> str:
    """The one `/recent-logins` entry line for the only sign-in in the ledger."""
    reply = slash(words)
    lines = [
        line
        for block in reply.json["blocks"]
        if block["type"] == "section"
        for line in block["text"]["text"].split("\n")
        if line.startswith("<!date^")
    ]
    assert len(lines) == 1, reply.text
    return str(lines[0])


def post(invoke: Any, slack_sink: SlackSink, event: dict[str, Any]) -> dict[str, Any]:
    result = as_lambda_does(invoke, event)
    assert result["outcome"] == "posted", result
    message: dict[str, Any] = slack_sink.messages[-1]
    return message


# --- MFA: a fact with a source -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "changes", "severity_title", "mfa"),
    [
        # MfaType at the top of additionalEventData (written from the documented shape)
        ("iam_user_success_sms_mfa.json", {}, "INFO: Console sign-in succeeded", "yes (SMS MFA)"),
        # MfaType under serviceEventDetails, for root (written from the documented shape)
        ("root_success_hardware_mfa.json", {}, "CRITICAL: Root console sign-in succeeded",
         "yes (Hardware MFA)"),
        # an MFAIdentifier and no MFAUsed (public record, MFAUsed removed)
        ("iam_user_success_mfa.json", {"additionalEventData": {
            "MFAIdentifier": "arn:aws:iam::12345:mfa/homer_simpson"}},
         "INFO: Console sign-in succeeded", "yes (arn:aws:iam::12345:mfa/homer_simpson)"),
    ],
    ids=["MfaType top level", "MfaType in serviceEventDetails", "MFAIdentifier only"],
)  # fmt: skip
def test_named_mfa_evidence_reads_yes_everywhere(
    slash: Slash,
    invoke: Any,
    slack_sink: SlackSink,
    dynamodb: Any,
    name: str,
    changes: dict[str, Any],
    severity_title: str,
    mfa: str,
) -> None:
    slash.configure(ALERT_MIN_SEVERITY="INFO")  # about the words: INFO sign-ins posted too
    event = recent(name, **changes)

    message = post(invoke, slack_sink, event)

    assert severity_title in header(message)
    assert fields(message)["MFA"] == mfa
    assert f"MFA {mfa}," in message["text"]
    assert "without MFA" not in json.dumps(message)
    assert "no MFA" not in why(message)
    item = ledger(dynamodb, event)
    assert (item["mfa"], item["mfa_type"]) == ("yes", mfa[5:-1])
    assert "listed_nomfa" not in item
    assert " · MFA yes · " in listed_line(slash)
    assert "0 without MFA" in slash().text


def test_a_record_without_mfa_information_says_not_recorded(
    slash: Slash, invoke: Any, slack_sink: SlackSink, dynamodb: Any
) -> None:
    event = recent("iam_user_success_no_mfa.json", additionalEventData=None)

    message = post(invoke, slack_sink, event)

    assert header(message).endswith("MEDIUM: IAM user console sign-in, MFA not recorded")
    assert fields(message)["MFA"] == "unknown (not recorded)"
    assert "MFA unknown (not recorded)," in message["text"]
    assert "without MFA" not in json.dumps(message)
    assert why(message) == "*Why*: MFA not recorded"
    item = ledger(dynamodb, event)
    assert item["mfa"] == "unknown" and "listed_nomfa" not in item
    assert " · MFA unknown (not recorded) · " in listed_line(slash)
    assert "0 without MFA" in slash().text


@pytest.mark.parametrize(
    ("name", "principal", "place"),
    [
        ("sso_success.json",
         "role `AWSReservedSSO_developer_admin_asdf` via Identity Center, session `foo@bar.com`",
         "at Identity Center"),
        ("saml_iam_user_success.json", "IAM user `tester` via SAML", "at the identity provider"),
    ],
    ids=["Identity Center", "SAML"],
)  # fmt: skip
def test_federated_mfa_is_at_the_identity_provider_in_alert_and_listing(
    slash: Slash,
    invoke: Any,
    slack_sink: SlackSink,
    dynamodb: Any,
    name: str,
    principal: str,
    place: str,
) -> None:
    """Where the MFA happened, as the record says it: a SAML provider is an identity
    provider; an Identity Center session's record names only Identity Center."""
    slash.configure(ALERT_MIN_SEVERITY="INFO")  # about the words: INFO sign-ins posted too
    event = recent(name)

    message = post(invoke, slack_sink, event)

    assert header(message).endswith("INFO: Console sign-in succeeded")
    assert fields(message)["MFA"] == f"unknown ({place})"
    assert fields(message)["Principal"] == principal
    assert f"MFA unknown ({place})," in message["text"]
    assert "MFA no" not in message["text"]
    assert ledger(dynamodb, event)["mfa"] == "identity_provider"
    line = listed_line(slash)
    assert f" · MFA unknown ({place}) · " in line
    assert f"*{principal}*" in line
    assert "nomfa" not in ledger(dynamodb, event).get("categories", [])


@pytest.mark.parametrize(
    ("name", "title", "principal"),
    [
        ("iam_user_success_no_mfa.json", "HIGH: IAM user console sign-in without MFA",
         "IAM user `Mary_Major`"),
        # Panther's AWS.Console.LoginWithoutMFA test record: a plain role session
        ("assumed_role_no_mfa.json", "MEDIUM: Role console sign-in without MFA",
         "role `SomeRole`, session `1641313043312360000`"),
    ],
    ids=["IAM user", "plain assumed role"],
)  # fmt: skip
def test_without_mfa_is_said_only_when_the_record_says_no(
    slash: Slash,
    invoke: Any,
    slack_sink: SlackSink,
    dynamodb: Any,
    name: str,
    title: str,
    principal: str,
) -> None:
    slash.configure(ALERT_MIN_SEVERITY="INFO")  # about the words: INFO sign-ins posted too
    event = recent(name)

    message = post(invoke, slack_sink, event)

    assert header(message).endswith(title)
    assert fields(message)["MFA"] == "no"
    assert fields(message)["Principal"] == principal
    assert "MFA no," in message["text"]
    assert why(message) == "*Why*: without MFA"
    item = ledger(dynamodb, event)
    assert item["mfa"] == "no" and "nomfa" in item["categories"]
    assert " · MFA no · " in listed_line(slash, "nomfa")
    assert "1 without MFA" in slash().text


# --- root is never quiet -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "title", "untold"),
    [
        ({"eventName": None}, "HIGH: Root user record without an event name", "event name"),
        (
            {"responseElements": {"ConsoleLogin": "Pending"}, "errorMessage": None},
            "HIGH: Root console sign-in, result not recorded",
            "result",
        ),
    ],
    ids=["no event name", "result neither Success nor Failure"],
)
def test_root_alerts_high_whatever_the_record_lacks_and_says_what(
    slash: Slash,
    invoke: Any,
    slack_sink: SlackSink,
    dynamodb: Any,
    changes: dict[str, Any],
    title: str,
    untold: str,
) -> None:
    slash.configure(IGNORE_PRINCIPALS="*", ALERT_MIN_SEVERITY="HIGH")
    event = recent("root_failure.json", **changes)

    message = post(invoke, slack_sink, event)

    assert header(message).endswith(title)
    assert fields(message)["Principal"] == "root user"
    assert f"does not say the {untold}" in why(message)
    assert message["text"].startswith(f"{title}: root user, ")
    item = ledger(dynamodb, event)
    assert item["principal_type"] == "root" and "listed_root" in item
    assert "*root user*" in listed_line(slash, "root")


def test_an_iam_user_named_root_never_reads_like_the_root_user(
    invoke: Any, configure: Callable[..., Any], slack_sink: SlackSink
) -> None:
    configure(ALERT_MIN_SEVERITY="INFO")  # the user's sign-in is INFO: posted too
    user = post(invoke, slack_sink, load_event("iam_user_named_root.json"))
    root = post(invoke, slack_sink, load_event("root_success_hardware_mfa.json"))

    assert header(user).endswith("INFO: Console sign-in succeeded")
    assert fields(user)["Principal"] == "IAM user `root`"
    assert ": IAM user root, result success" in user["text"]
    assert fields(root)["Principal"] == "root user"
    assert ": root user, result success" in root["text"]


# --- event text never becomes a link ---------------------------------------------------

PHISH = "verify at https://evil.example/aws-login"


def test_hostile_user_agent_and_user_name_reach_slack_unlinkable(
    invoke: Any, slack_sink: SlackSink
) -> None:
    event = recent(
        "iam_user_failure.json",
        userAgent=PHISH,
        userIdentity={"type": "IAMUser", "userName": "http://evil.example", "accountId": "1"},
    )

    message = post(invoke, slack_sink, event)

    payload = json.dumps(message)
    assert "https://evil" not in payload and "http://evil" not in payload
    agent = message["attachments"][0]["blocks"][1]["text"]
    assert agent == {
        "type": "mrkdwn",
        "text": "*User agent*\n`verify at https[:]//evil.example/aws-login`",
        "verbatim": True,
    }
    principal = message["attachments"][0]["blocks"][0]["fields"][0]
    assert principal["text"] == "*Principal*\nIAM user `http[:]//evil.example`"
    assert principal["verbatim"] is True
    assert "IAM user http[:]//evil.example, result failure" in message["text"]
