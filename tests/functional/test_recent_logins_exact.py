"""GIVEN sign-ins around the start of a window WHEN someone asks /recent-logins for it
THEN the window is exact to the second whatever its unit; and the route answers every
edge of its way in with what really happened."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.judge.rules import evaluate
from chalicelib.recent_logins.handler import MAX_BODY_BYTES
from chalicelib.signin.parse import parse_signin
from localdev.fast_forward import FastForward
from localdev.signins import Login
from localdev.slack_sink import SlackSink
from tests.conftest import slack_env
from tests.functional.conftest import TEAM_ID, Slash
from tests.functional.test_recent_logins import entry_names, log_lines  # noqa: F401

START = datetime(2026, 11, 20, 15, 55, 7, tzinfo=UTC)


@pytest.fixture
def fast_forward() -> FastForward:
    """The app's and the sink's clock, from the test's start."""
    return FastForward(START)


@pytest.fixture
def clock(fast_forward: FastForward) -> FastForward:
    return fast_forward


@pytest.fixture
def slash(
    dynamodb: Any, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch, clock: FastForward
) -> Iterator[Slash]:
    """The route, with the app's clock in the test's hand."""

    def configure(**settings: str) -> Container:
        container = Container(slack_env(slack_sink, **settings), clocks=clock.clocks())
        monkeypatch.setattr(app_module, "container", container)
        return container

    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Slash(client, configure)


def record(slash: Slash, *logins: Login) -> None:
    container = slash.container
    for login in logins:
        signin = parse_signin(login.record(), received_at=START)
        container.ledger.record(signin, evaluate(signin, container.settings))


@pytest.mark.parametrize(
    ("text", "window", "words"),
    [
        ("since 2h", timedelta(hours=2), "2 hours"),
        ("since 1d", timedelta(days=1), "1 day"),
        ("since 30m", timedelta(minutes=30), "30 minutes"),
    ],
)
def test_a_window_holds_a_signin_one_second_inside_and_not_one_second_outside(
    slash: Slash, clock: FastForward, text: str, window: timedelta, words: str
) -> None:
    since = START - window
    record(
        slash,
        Login("inside", since + timedelta(seconds=1), name="inside-user", success=False),
        Login("outside", since - timedelta(seconds=1), name="outside-user", kind="Root"),
        Login("older", since - timedelta(minutes=50), name="older-user"),
    )

    reply = slash(text)

    assert entry_names(reply.json) == ["inside-user"]
    assert f"1 of 1 sign-in in the last {words}: 1 failed, 0 root, 0 without MFA" in reply.text
    assert f"Since <!date^{int(since.timestamp())}^" in reply.text  # the start as it is

    clock.advance(seconds=2)  # now the first one is a second outside too
    later = slash(text)

    assert "No sign-ins in the last" in later.text
    assert "inside-user" not in later.text


def test_a_long_window_counts_every_signin_from_its_first_second(slash: Slash) -> None:
    since = START - timedelta(days=7)
    record(
        slash,
        *(Login(f"in-{n}", since + timedelta(minutes=n), name="early") for n in range(0, 60, 7)),
        Login("out", since - timedelta(seconds=1), name="outside-user"),
        Login("now", START - timedelta(seconds=3), name="recent", success=False),
    )

    reply = slash("50")

    assert "10 of 10 sign-ins in the last 7 days: 1 failed" in reply.text
    assert "outside-user" not in reply.text


# --- edges of the way in ---------------------------------------------------------------


def test_the_longest_command_slack_can_send_gets_a_usage_reply(slash: Slash) -> None:
    cjk = "東" * 4000  # Slack's 4,000-character limit, 36 KB once encoded

    reply = slash(cjk)

    assert reply.status == 200
    assert "I did not understand" in reply.text and "*Usage:*" in reply.text


def test_a_command_longer_than_slack_sends_is_told_the_limit(slash: Slash) -> None:
    reply = slash("alice " * 700)

    assert reply.status == 200
    assert "at most 4,000 characters" in reply.text


def test_a_body_no_slack_request_can_be_is_refused_before_anything(
    slash: Slash,
    log_lines: list[str],  # noqa: F811
) -> None:
    reply = slash.post_body(b"text=" + b"%E6%9D%B1" * (MAX_BODY_BYTES // 9 + 1))

    assert (reply.status, reply.body) == (401, b"Unauthorized")
    assert json.loads(log_lines[-1])["reason"] == "body too large"


def test_a_non_utf8_body_with_a_made_up_signature_is_logged_as_such(
    slash: Slash,
    log_lines: list[str],  # noqa: F811
) -> None:
    reply = slash.post_raw(
        b"text=\xff\xfe&team_id=" + TEAM_ID.encode(),
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=" + "ab" * 32},
    )

    assert reply.status == 401
    [line] = [json.loads(line) for line in log_lines]
    assert line["reason"] == "body is not UTF-8"
    assert "signing secret" not in line["reason"]


def test_invalid_base64_gets_400_and_no_traceback(
    slash: Slash,
    caplog: pytest.LogCaptureFixture,
    log_lines: list[str],  # noqa: F811
) -> None:
    event = {
        "requestContext": {
            "httpMethod": "POST",
            "resourcePath": "/slack/recent-logins",
            "identity": {"sourceIp": "127.0.0.1"},
            "path": "/slack/recent-logins",
        },
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "pathParameters": {},
        "stageVariables": {},
        "multiValueQueryStringParameters": None,
        "body": "this is *not* base64!",
        "isBase64Encoded": True,
    }

    with caplog.at_level(logging.DEBUG):
        response = app_module.app(event, LambdaContext("recent_logins", 128))

    assert response["statusCode"] == 400
    assert not [record for record in caplog.records if record.exc_info]
    assert "Traceback" not in caplog.text
    assert json.loads(log_lines[-1])["reason"] == "body is not valid base64"


def test_a_signed_non_ascii_command_is_answered(slash: Slash) -> None:
    record(slash, Login("e-1", START - timedelta(minutes=5), name="jürgen"))

    reply = slash("jürgen")

    assert reply.status == 200
    assert entry_names(reply.json) == ["jürgen"]
