"""GIVEN the four records issue 23 found misnamed (public records, or written from
AWS's documented shape: tests/events/SOURCES.md) WHEN each goes through the real
handler THEN the alert, the ledger and the `/recent-logins` line name it as the record
says:

- an Amazon WorkSpaces sign-in (`UserAuthentication`, type `Unknown`, LoginTo the
  WorkSpaces client) is a WorkSpaces sign-in, never "Identity Center" nor "identity
  provider";
- an Identity Center user in the transition-period shape (type `Unknown`, `onBehalfOf`
  with `identityStoreArn`) is an Identity Center user;
- a record without `userIdentity.type` is named by its ARN (`user/`, an Identity Center
  permission-set role), and the Identity Center session's MFA is never "no";
- a record without `eventTime`, handed over bare, says "time not recorded (received
  HH:MM)" in English and Korean, and is never stored with its arrival as its time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.container import Container
from chalicelib.store.schema import event_key
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, TABLE, load_event
from tests.functional.conftest import Slash
from tests.functional.test_verdicts import fields, header, ledger, post, recent


@pytest.fixture
def configure(configure: Callable[..., Container]) -> Callable[..., Container]:
    """Every sign-in posted (ALERT_MIN_SEVERITY=INFO unless a test says otherwise): these
    tests are about what each record is called, not the routine roll-up (test_routine.py)."""

    def build(**settings: str) -> Container:
        return configure(**{"ALERT_MIN_SEVERITY": "INFO", **settings})

    build()
    return build


ARRIVAL = f"{NOW:%H:%M} UTC"


def entry_lines(slash: Slash, words: str = "") -> list[str]:
    """Every `/recent-logins` entry line (each ends with the sign-in's region)."""
    reply = slash(words)
    return [
        line
        for block in reply.json["blocks"]
        if block["type"] == "section"
        for line in block["text"]["text"].split("\n")
        if " · MFA " in line
    ]


def test_a_workspaces_sign_in_is_named_workspaces_never_identity_center(
    slash: Slash, invoke: Any, slack_sink: SlackSink, dynamodb: Any
) -> None:
    for name in ("workspaces_password_user_authentication.json",
                 "workspaces_user_authentication.json"):  # fmt: skip
        event = recent(name)
        message = post(invoke, slack_sink, event)

        assert header(message).endswith("Amazon WorkSpaces sign-in succeeded"), name
        assert fields(message)["Signed in to"] == "Amazon WorkSpaces"
        assert ledger(dynamodb, event)["federation"] == "none"
        said = json.dumps(message) + "\n".join(entry_lines(slash))
        assert "Identity Center" not in said, said
        assert "identity provider" not in said, said
    # The password record says no second factor either way; the smart card is one.
    assert ", MFA unknown (not recorded)," in slack_sink.messages[-2]["text"]
    assert ", MFA yes (SMARTCARD)," in slack_sink.messages[-1]["text"]


def test_an_identity_center_user_in_the_transition_shape_is_an_identity_center_user(
    slash: Slash, invoke: Any, slack_sink: SlackSink
) -> None:
    event = recent("identity_center_transition_user_authentication.json")

    message = post(invoke, slack_sink, event)

    assert header(message).endswith("AWS access portal sign-in succeeded")
    assert fields(message)["Principal"] == "Identity Center user `bobsmith@example.com`"
    assert fields(message)["MFA"] == "unknown (at Identity Center)"
    assert "principal of unknown type" not in json.dumps(message)
    [line] = entry_lines(slash)
    assert "*Identity Center user `bobsmith@example.com`*" in line


def handled_lines(capfd: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out, _ = capfd.readouterr()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("message") == "sign-in handled"]


def test_a_record_without_a_type_is_named_by_its_arn(
    slash: Slash,
    invoke: Any,
    slack_sink: SlackSink,
    dynamodb: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:
    capfd.readouterr()
    user = post(invoke, slack_sink, recent("iam_user_without_type.json"))
    assert fields(user)["Principal"] == "IAM user `homer_simpson`"
    # The log line says what named it, so an operator can count such records.
    [logged] = handled_lines(capfd)
    assert (logged["kind_from"], logged["service"]) == ("arn_user", "aws_console")

    event = recent("sso_session_without_type.json")
    session = post(invoke, slack_sink, event)

    assert fields(session)["Principal"] == (
        "role `AWSReservedSSO_developer_admin_asdf` via Identity Center, session `foo@bar.com`"
    )
    assert fields(session)["MFA"] == "unknown (at Identity Center)"
    assert "MFA no" not in session["text"]
    assert "without MFA" not in json.dumps(session)
    assert "nomfa" not in ledger(dynamodb, event).get("categories", [])
    lines = entry_lines(slash)
    assert not any("principal of unknown type" in line for line in lines), lines
    assert entry_lines(slash, "nomfa") == []


def test_a_record_without_a_time_says_so_and_is_stored_as_received(
    slash: Slash,
    invoke: Any,
    slack_sink: SlackSink,
    dynamodb: Any,
    configure: Callable[..., Any],
) -> None:
    earlier = post(invoke, slack_sink, recent("iam_user_success_mfa.json"))
    bare = load_event("iam_user_no_event_time.json")
    assert "eventTime" not in bare and "detail" not in bare

    result = invoke(bare)
    message = slack_sink.messages[-1]

    assert result["outcome"] == "posted", result
    assert fields(message)["Time"] == f"time not recorded (received {ARRIVAL})"
    assert fields(earlier)["Time"].startswith("<!date^")
    item = dynamodb.get_item(TableName=TABLE, Key=event_key(result["event_id"]))["Item"]
    assert "event_time" not in item and "epoch" not in item
    assert item["received_at"]["S"].startswith(f"{NOW:%Y-%m-%dT%H:%M}")
    # Listed by when it arrived: newest first, above the sign-in a minute before it.
    newest, older = entry_lines(slash)
    assert newest.startswith(f"time not recorded (received {ARRIVAL}) ")
    assert "*IAM user `alice`*" in newest
    assert older.startswith("<!date^") and "homer_simpson" in older

    configure(MESSAGE_LANGUAGE="ko")
    again = dict(bare, userIdentity={"type": "IAMUser", "userName": "carol"})
    invoke(again)
    assert fields(slack_sink.messages[-1])["시각"] == f"시각 기록 없음 (수신 {ARRIVAL})"
