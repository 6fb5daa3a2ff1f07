"""GIVEN a sign-in and its verdict WHEN formatted THEN a readable, safe Block Kit message
within Slack's limits, whatever the event holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.judge.rules import evaluate
from chalicelib.settings import Language, Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import parse_signin
from chalicelib.slack import alert_message
from chalicelib.slack import blocks as kit
from tests.conftest import load_event

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def message(name: str, settings: Settings | None = None, **detail: Any) -> dict[str, Any]:
    event = load_event(name)
    event["detail"].update(detail)
    settings = settings or Settings()
    signin = parse_signin(event, received_at=NOW)
    return alert_message.build_message(signin, evaluate(signin, settings), settings)


def texts(msg: dict[str, Any]) -> list[str]:
    """Every text a reader sees, from every block and field."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(msg)
    return found


def assert_within_limits(msg: dict[str, Any]) -> None:
    blocks = msg["blocks"] + msg["attachments"][0]["blocks"]
    assert len(blocks) <= kit.MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= kit.MAX_HEADER_TEXT
        if block["type"] == "section":
            assert len(block.get("fields", [])) <= kit.MAX_FIELDS
            for field in block.get("fields", []):
                assert len(field["text"]) <= kit.MAX_FIELD_TEXT
            if "text" in block:
                assert len(block["text"]["text"]) <= kit.MAX_SECTION_TEXT
    assert len(msg["text"]) <= kit.MAX_NOTIFICATION_TEXT


def test_top_level_text_names_severity_principal_result_mfa_and_ip() -> None:
    text = message("root_success_no_mfa.json")["text"]
    assert text.startswith("CRITICAL: Root console sign-in succeeded: root user,")
    for part in ("result success", "MFA no", "IP 67.172.93.116", "account 123456789112"):
        assert part in text


def test_fields_show_who_where_when() -> None:
    settings = Settings(account_names={"123456789112": "prod"})
    msg = message("root_success_no_mfa.json", settings)
    fields = [f["text"] for f in msg["attachments"][0]["blocks"][0]["fields"]]
    assert fields[0] == "*Principal*\nroot user"
    assert fields[1] == "*Account*\nprod (123456789112)"
    assert fields[2].startswith("*Time*\n<!date^1506249341^{date_short_pretty} {time_secs}|")
    assert msg["attachments"][0]["color"] == kit.SEVERITY_COLOURS[Severity.CRITICAL]
    assert msg["blocks"][0]["type"] == "header"


def test_time_fallback_uses_display_timezone() -> None:
    seoul = Settings.from_env({"DISPLAY_TIMEZONE": "Asia/Seoul"})
    field = message("root_success_no_mfa.json", seoul)["attachments"][0]["blocks"][0]["fields"][2]
    # 10:35:41 UTC is 19:35:41 in Seoul.
    assert field["text"].endswith("|2017-09-24 19:35:41 KST>")


def test_korean_labels() -> None:
    msg = message("root_success_no_mfa.json", Settings(language=Language.KO))
    fields = [f["text"] for f in msg["attachments"][0]["blocks"][0]["fields"]]
    assert fields[0].startswith("*사용자*")
    assert any(f == "*결과*\n성공" for f in fields)
    assert "CRITICAL" in msg["text"] and "result success" in msg["text"]


def test_failure_reason_and_cloudtrail_link() -> None:
    msg = message("iam_user_failure.json")
    joined = "\n".join(texts(msg))
    assert "failure: Failed authentication" in joined
    assert (
        "<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1"
        "#/events/e0eba2e0-9319-4662-993b-35183a79e491|Open in CloudTrail>"
    ) in joined


def test_federated_principal_says_how_it_came_in() -> None:
    fields = message("sso_success.json")["attachments"][0]["blocks"][0]["fields"]
    assert fields[0]["text"] == (
        "*Principal*\nrole `AWSReservedSSO_developer_admin_asdf` via Identity Center, "
        "session `foo@bar.com`"
    )
    assert fields[0]["verbatim"] is True


@pytest.mark.parametrize(
    "hostile",
    ["<!channel>", "<!here|here>", "<@U123>", "<https://evil.example|AWS>", "a & b > c"],
)
def test_event_text_is_escaped_everywhere(hostile: str) -> None:
    msg = message(
        "iam_user_failure.json",
        userIdentity={"type": "IAMUser", "userName": hostile},
        userAgent=hostile,
        sourceIPAddress=hostile,
        errorMessage=hostile,
        eventID=hostile,
    )
    raw = json.dumps(msg)
    assert hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in raw
    for seen in texts(msg):
        ours = seen.count("<!date^") + seen.count("<https://")
        assert seen.count("<") == ours, seen


@pytest.mark.parametrize("length", [0, 1, 150, 1999, 2000, 2001, 3000, 3001, 100_000])
def test_limits_hold_for_any_length(length: int) -> None:
    long = ("<&>" * length)[:length]
    msg = message(
        "iam_user_failure.json",
        userIdentity={"type": "IAMUser", "userName": long},
        userAgent=long,
        errorMessage=long,
    )
    assert_within_limits(msg)


@pytest.mark.parametrize(
    ("limit", "length", "clipped"),
    [(10, 9, False), (10, 10, False), (10, 11, True), (3000, 3000, False), (3000, 3001, True)],
)
def test_clip_on_both_sides_of_a_limit(limit: int, length: int, clipped: bool) -> None:
    out = kit.clip("x" * length, limit)
    assert len(out) <= limit
    assert out.endswith("…") is clipped


def test_clip_never_cuts_an_entity() -> None:
    escaped = kit.escape("a" * 8 + "<")  # "aaaaaaaa&lt;" (12 characters)
    assert kit.clip(escaped, 11) == "aaaaaaaa…"
