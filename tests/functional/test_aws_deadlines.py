"""GIVEN DynamoDB or SSM that accepts a connection and never answers, or refuses it,
WHEN a handler needs it THEN the sign-in handler raises (so Lambda retries), stopped by
its deadline's guard rather than by a timeout past it, and /recent-logins answers that
the ledger could not be read just now (or a 401 without its secret).

The endpoints are real TCP servers on 127.0.0.1 (localdev/dead_endpoints.py); the
handlers are the real ones, under Chalice's test client, which gives each invocation
3 s, as a Lambda timeout would. How long each takes in real time depends on the
machine: `bench.deadlines` measures it (docs/figures.md), the tests assert the cause.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from localdev.dead_endpoints import SilentServer, refusing_url
from localdev.slack_sink import SlackSink
from tests.conftest import TABLE, load_event, slack_env
from tests.functional.conftest import SIGNING_SECRET, TEAM_ID, Slash


@pytest.fixture(params=["hangs", "refuses"])
def dead_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "refuses":
        yield refusing_url()
        return
    server = SilentServer()
    try:
        yield server.url
    finally:
        server.close()


def _use(container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    monkeypatch.setattr(app_module, "container", container)
    return container


def _invoke(event: dict[str, Any]) -> BaseException | None:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        try:
            client.lambda_.invoke("console_signin", event)
        except Exception as error:  # what Lambda would see: the handler raised
            return error
        return None


def stopped_in_time(error: BaseException) -> bool:
    """A hang is cut by the guard before an attempt that could not finish in time (each
    read timeout fits the time left: the guard's arithmetic, tested below), never by a
    read timing out past the deadline; a refused connection fails at once."""
    said = f"{type(error).__name__}: {error}"
    return "DeadlineExceeded" in said or "EndpointConnectionError" in said


def test_signin_handler_raises_before_its_deadline_when_dynamodb_is_dead(
    dead_endpoint: str, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dead_endpoint)
    container = _use(Container(slack_env(slack_sink)), monkeypatch)
    assert container.dynamodb is not None  # warm, as after the container's first event

    error = _invoke(load_event("root_success_no_mfa.json"))

    assert error is not None, "the handler returned normally: Lambda would not retry"
    assert stopped_in_time(error)
    assert slack_sink.requests == []


def test_signin_handler_raises_before_its_deadline_when_ssm_is_dead(
    dead_endpoint: str,
    dynamodb: Any,
    slack_sink: SlackSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", dead_endpoint)
    env = slack_env(
        slack_sink, SLACK_WEBHOOK_URL="", SLACK_WEBHOOK_URL_PARAM="/signin-alerts/test/webhook"
    )
    container = _use(Container(env), monkeypatch)
    assert container.dynamodb is not None

    error = _invoke(load_event("root_success_no_mfa.json"))

    assert error is not None, "the handler returned normally: Lambda would not retry"
    assert stopped_in_time(error)
    assert slack_sink.requests == []
    item = dynamodb.get_item(
        TableName=TABLE,
        Key={
            "pk": {"S": "EVENT#" + load_event("root_success_no_mfa.json")["detail"]["eventID"]},
            "sk": {"S": "EVENT"},
        },
    ).get("Item")
    assert item is None or item["alert_status"]["S"] != "sent"


def test_recent_logins_answers_within_3_s_when_dynamodb_is_dead(
    dead_endpoint: str, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dead_endpoint)
    container = Container(
        slack_env(slack_sink, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_TEAM_ID=TEAM_ID)
    )
    assert container.slash_dynamodb is not None  # warm
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        slash = Slash(client, lambda **_: _use(container, monkeypatch))
        reply = slash("failed")

    assert reply.status == 200
    assert "could not be read just now" in reply.json["text"]


def test_recent_logins_refuses_within_3_s_when_ssm_is_dead(
    dead_endpoint: str, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signing secret cannot be read: a 401, in time, never a hang."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", dead_endpoint)
    env = slack_env(
        slack_sink, SLACK_SIGNING_SECRET_PARAM="/signin-alerts/test/signing", SLACK_TEAM_ID=TEAM_ID
    )
    container = Container(env)
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        slash = Slash(client, lambda **_: _use(container, monkeypatch))
        reply = slash("failed")

    assert reply.status == 401


def test_no_attempt_starts_without_time_to_read_its_answer() -> None:
    """The guard's arithmetic over the time left: a read timeout it sets never ends past
    the margin, leaves room to connect whenever there is room, and the guard refuses
    exactly when not even a short read would fit."""
    from chalicelib.aws_clients import MIN_READ_SECONDS, SAFETY_MARGIN_SECONDS, CallLimits

    limits = CallLimits(connect_timeout=0.5, read_timeout=2.0, max_attempts=3)
    for hundredths in range(0, 600):
        remaining = hundredths / 100
        spare = remaining - SAFETY_MARGIN_SECONDS
        read = limits.read_timeout_within(remaining)
        if read is None:
            assert spare < MIN_READ_SECONDS
            continue
        assert MIN_READ_SECONDS <= read <= 2.0
        assert read <= spare + 1e-9
        if spare >= 0.5 + MIN_READ_SECONDS + 1e-9:
            assert 0.5 + read <= spare + 1e-9
