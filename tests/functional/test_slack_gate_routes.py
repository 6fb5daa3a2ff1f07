"""GIVEN every Slack route of the app WHEN the same bad request comes to each THEN each
answers it the same: they share one gate (chalicelib/slack/gate.py; its steps one by
one: tests/unit/test_slack_gate.py).

Requests go in as API Gateway sends them (an event, base64 when it says so) through
the real app, its routing and the container's wiring."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaContext

import app as app_module
from chalicelib.container import Container
from chalicelib.slack.gate import NOT_ALLOWED_REPLY
from chalicelib.slack.verify import sign
from localdev.interactions import click_body
from localdev.slack_events import home_opened_body

SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
TEAM_ID = "T0SECTEAM"
ROUTES = ["/slack/recent-logins", "/slack/interactions", "/slack/events"]
BIGGER_THAN_ANY_ROUTE_TAKES = 70_000  # /recent-logins: 56 KB; the others: 64 KB


def route_body(route: str, team: str = TEAM_ID) -> bytes:
    """What Slack posts to the route: a slash command's form, a button's payload, or an
    Events API delivery (JSON)."""
    if route == "/slack/events":
        return home_opened_body("Ev0GATE0001", user_id="U0ALICE", team_id=team)
    if route == "/slack/recent-logins":
        return urlencode(
            {"team_id": team, "user_id": "U0ALICE", "channel_id": "C0SEC", "text": "help"}
        ).encode()
    return click_body(
        "signin_was_me",
        "e-1",
        user_id="U0ALICE",
        team_id=team,
        response_url="http://127.0.0.1:9/actions/x",
    )


@dataclass(frozen=True)
class Bad:
    """A bad request, built for a route at the container's time."""

    body: Callable[[str], bytes]
    headers: Callable[[bytes, int], dict[str, str]]
    base64_body: str | None = None  # sent as this, isBase64Encoded, instead of the body


def signed(body: bytes, now: int) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(SECRET, now, body)}


def signature_only(body: bytes, now: int) -> dict[str, str]:
    return {"X-Slack-Signature": signed(body, now)["X-Slack-Signature"]}


def oversized(route: str) -> bytes:
    return b"payload=" + b"x" * BIGGER_THAN_ANY_ROUTE_TAKES


PROBE = b"ssl_check=1&token=legacy"
NOT_UTF8 = b"text=\xff\xfe&team_id=" + TEAM_ID.encode()
UNAUTHORIZED = (401, "Unauthorized")
BAD_REQUESTS: dict[str, tuple[Bad, tuple[int, str]]] = {
    "oversized, signed": (Bad(oversized, signed), UNAUTHORIZED),
    "oversized, unsigned": (Bad(oversized, lambda body, now: {}), UNAUTHORIZED),
    "bad base64": (
        Bad(route_body, signed, base64_body="this is *not* base64!"),
        (400, "Bad Request"),
    ),
    "no signature": (Bad(route_body, lambda body, now: {}), UNAUTHORIZED),
    "no timestamp": (Bad(route_body, signature_only), UNAUTHORIZED),
    "forged": (
        Bad(
            route_body,
            lambda body, now: {
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": sign("not-the-secret", now, body),
            },
        ),
        UNAUTHORIZED,
    ),
    "stale": (Bad(route_body, lambda body, now: signed(body, now - 301)), UNAUTHORIZED),
    "from the future": (Bad(route_body, lambda body, now: signed(body, now + 301)), UNAUTHORIZED),
    # Only base64 can carry bytes that are not UTF-8: API Gateway's event is JSON text.
    "not UTF-8": (
        Bad(lambda route: NOT_UTF8, signed, base64_body=base64.b64encode(NOT_UTF8).decode()),
        UNAUTHORIZED,
    ),
    "another workspace": (
        Bad(lambda route: route_body(route, team="T0OTHER"), signed),
        (200, json.dumps(NOT_ALLOWED_REPLY, ensure_ascii=False)),
    ),
    "ssl_check": (Bad(lambda route: PROBE, signed), (200, "")),
    "ssl_check, base64": (
        Bad(lambda route: PROBE, signed, base64_body=base64.b64encode(PROBE).decode()),
        (200, ""),
    ),
}


def post(route: str, body: bytes | str, headers: dict[str, str], *, b64: bool) -> tuple[int, str]:
    event: dict[str, Any] = {
        "requestContext": {
            "httpMethod": "POST",
            "resourcePath": route,
            "identity": {"sourceIp": "127.0.0.1"},
            "path": route,
        },
        "headers": {
            "content-type": "application/json"
            if route == "/slack/events"
            else "application/x-www-form-urlencoded",
            **{name.lower(): value for name, value in headers.items()},
        },
        "pathParameters": {},
        "stageVariables": {},
        "multiValueQueryStringParameters": None,
        "body": body.decode() if isinstance(body, bytes) else body,
        "isBase64Encoded": b64,
    }
    response = app_module.app(event, LambdaContext(route.rsplit("/", 1)[-1], 128))
    return response["statusCode"], response["body"]


@pytest.fixture
def container(configure: Callable[..., Container]) -> Container:
    return configure(SLACK_SIGNING_SECRET=SECRET, SLACK_TEAM_ID=TEAM_ID, CONFIRM_ENABLED="true")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_every_slack_route_answers_a_bad_request_the_same(
    container: Container, route: str, case: str
) -> None:
    bad, expected = BAD_REQUESTS[case]
    now = int(container.clocks.time())
    body = bad.body(route)
    headers = bad.headers(body, now)

    if bad.base64_body is None:
        answer = post(route, body.decode(), headers, b64=False)
    else:
        answer = post(route, bad.base64_body, headers, b64=True)

    assert answer == expected


@pytest.mark.parametrize("route", ROUTES)
def test_every_slack_route_takes_a_signed_base64_body(container: Container, route: str) -> None:
    body = route_body(route)
    now = int(container.clocks.time())

    status, _ = post(route, base64.b64encode(body).decode(), signed(body, now), b64=True)

    assert status == 200
