"""GIVEN the App Home's route `POST /slack/events` WHEN Slack delivers events THEN a bad
signature is a 401; url_verification gets its challenge; an `app_home_opened` publishes
the week for the person who opened it (open bursts, their questions, the last root
sign-in, the watchdog's open problems, query buttons) once, however often Slack retries;
an outsider sees nothing; a query button answers in the tab through /slack/interactions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from chalice.local import LambdaContext
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.store.schema import event_key
from chalicelib.watchdog.findings import Status
from chalicelib.watchdog.state import WatchdogRecord, WatchdogState
from localdev.events import console_login
from localdev.interactions import signed_headers
from localdev.slack_events import (
    home_click_body,
    home_opened_body,
    json_headers,
    url_verification_body,
)
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, TABLE, load_event
from tests.functional.confirm_flow import ALICE, SIGNING_SECRET, TEAM_ID, confirm_env

MALLORY = "U0MALLORY"


class Events:
    def __init__(self, client: Client, container: Container) -> None:
        self.client = client
        self.container = container

    def post(self, body: bytes, *, secret: str = SIGNING_SECRET, retry: int = 0) -> Any:
        stamp = int(self.container.clocks.time())
        headers = json_headers(secret, body, timestamp=stamp, retry=retry)
        return self.client.http.post("/slack/events", headers=headers, body=body)

    def click(self, body: bytes) -> Any:
        stamp = int(self.container.clocks.time())
        headers = signed_headers(SIGNING_SECRET, body, timestamp=stamp)
        return self.client.http.post("/slack/interactions", headers=headers, body=body)


@pytest.fixture
def home(configure: Callable[..., Container], slack_sink: SlackSink) -> Iterator[Events]:
    container = configure(**confirm_env(slack_sink, WATCHDOG_STAGE="dev-us-east-1"))
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Events(client, container)


def signin(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = app_module.console_signin(
        event, LambdaContext("console_signin", 256, max_runtime_ms=60_000)
    )
    return result


def view_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_a_bad_signature_is_refused_and_publishes_nothing(home, slack_sink) -> None:
    body = home_opened_body("Ev0BAD0001", user_id=ALICE, team_id=TEAM_ID)

    assert home.post(body, secret="not-the-secret").status_code == 401
    assert home.post(url_verification_body("c"), secret="not-the-secret").status_code == 401
    assert slack_sink.files.views == []


def test_url_verification_gets_its_challenge(home) -> None:
    response = home.post(
        url_verification_body("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    )

    assert response.status_code == 200
    assert json.loads(response.body) == {
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    }


def test_the_home_tab_shows_the_week_for_whoever_opens_it(home, slack_sink, dynamodb) -> None:
    at = NOW - timedelta(hours=2)
    root = load_event("root_success_no_mfa.json")
    root["detail"]["eventTime"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    signin(root)
    for n in range(6):  # root failures from one IP: a burst opens
        signin(console_login(f"h-f{n}", NOW - timedelta(minutes=10 - n), ip="203.0.113.9"))
    asked = signin(console_login("h-alice", at, user="alice", ip="8.8.8.8", success=True))
    assert asked["outcome"] == "posted"
    WatchdogState(dynamodb, TABLE).save(
        "dev-us-east-1",
        WatchdogRecord("signin_rule", Status.PROBLEM, 1.0, 1.0, 1, "the sign-in rule is off"),
        None,
    )

    response = home.post(home_opened_body("Ev0HOME0001", user_id=ALICE, team_id=TEAM_ID))

    assert response.status_code == 200
    [published] = slack_sink.files.views
    assert published.user_id == ALICE and published.view["type"] == "home"
    text = view_text(published.view)
    assert "The week at a glance" in text and "8 sign-ins, 6 failed, 7 root" in text
    assert "possible brute force on root user" in text  # the open burst
    assert '"value": "h-alice"' in text  # Was this you? with its buttons
    # the same buttons as the DM's: "No" asks once more before it pages anyone
    [answer] = [
        block
        for block in published.view["blocks"]
        if any(e.get("value") == "h-alice" for e in block.get("elements", []))
    ]
    no = next(e for e in answer["elements"] if e["action_id"] == "signin_not_me")
    assert no["confirm"]["confirm"]["text"] == "It was not me"
    assert "root user" in text.split("Last root sign-in")[1]
    assert "the sign-in rule is off" in text
    assert '"value": "failed 24h"' in text


def test_a_retried_delivery_publishes_once(home, slack_sink) -> None:
    body = home_opened_body("Ev0RETRY001", user_id=ALICE, team_id=TEAM_ID)

    replies = [home.post(body), home.post(body, retry=1), home.post(body, retry=2)]

    assert [reply.status_code for reply in replies] == [200, 200, 200]
    assert len(slack_sink.files.views) == 1
    home.post(home_opened_body("Ev0AGAIN001", user_id=ALICE, team_id=TEAM_ID))
    assert len(slack_sink.files.views) == 2  # a new opening is a new event


def test_a_failed_publish_is_published_by_slacks_retry(home, slack_sink) -> None:
    body = home_opened_body("Ev0FAIL0001", user_id=ALICE, team_id=TEAM_ID)
    slack_sink.files.error, slack_sink.files.error_method = "internal_error", "views.publish"

    first, retried = home.post(body), home.post(body, retry=1)

    assert (first.status_code, retried.status_code) == (500, 200)
    assert len(slack_sink.files.views) == 1


@pytest.mark.parametrize(
    ("settings", "team", "user"),
    [
        ({}, "T0OTHERTEAM", ALICE),  # another workspace
        ({"SLACK_ALLOWED_USER_IDS": ALICE}, TEAM_ID, MALLORY),  # not on the user list
        ({"SLACK_ALLOWED_CHANNEL_IDS": "C0SECOPS"}, TEAM_ID, ALICE),  # the tab is no channel
    ],
    ids=["other workspace", "user not allowed", "channel allow-list"],
)
def test_an_outsider_sees_nothing(
    home, configure, slack_sink, settings: dict[str, str], team: str, user: str
) -> None:
    home.container = configure(**confirm_env(slack_sink, **settings))
    signin(console_login("o-1", NOW - timedelta(hours=1), user="alice", success=True, mfa=True))

    response = home.post(home_opened_body("Ev0OUTSIDE1", user_id=user, team_id=team))

    assert response.status_code == 200
    assert slack_sink.files.views == []


def test_a_query_button_answers_in_the_tab(home, slack_sink, dynamodb) -> None:
    signin(console_login("q-1", NOW - timedelta(hours=1), ip="203.0.113.9"))
    home.post(home_opened_body("Ev0QUERY001", user_id=ALICE, team_id=TEAM_ID))
    [opened] = slack_sink.files.views
    assert dynamodb.get_item(TableName=TABLE, Key=event_key("q-1")).get("Item")

    response = home.click(
        home_click_body("failed 24h", opened.view, user_id=ALICE, team_id=TEAM_ID)
    )

    assert response.status_code == 200
    _, answered = slack_sink.files.views
    text = view_text(answered.view)
    assert text.startswith(view_text(opened.view)[:-1])  # the tab, then the answer
    assert "home_result_0" in text and "203.0.113.9" in text


def test_the_home_tab_reads_within_its_budget(home, slack_sink) -> None:
    """One opening: the mark, the week's hours, yesterday's tallies, the open bursts
    (one GetItem each), the pending questions and their items, the root index, the
    watchdog's state. Never a Scan."""
    for n in range(6):  # one open burst
        signin(console_login(f"b-f{n}", NOW - timedelta(minutes=10 - n), ip="203.0.113.9"))
    signin(console_login("b-alice", NOW - timedelta(hours=1), user="alice", success=True))
    names: list[str] = []
    home.container.slash_dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: names.append(model.name)
    )

    home.post(home_opened_body("Ev0BUDGET01", user_id=ALICE, team_id=TEAM_ID))

    assert names == [
        "PutItem",  # the delivery's mark
        "BatchGetItem",  # the week's hour counters
        "Query",  # yesterday's tallies: the busiest
        "Query",  # the open bursts
        "GetItem",  # the one open burst
        "Query",  # the pending questions
        "BatchGetItem",  # their items
        "Query",  # the last root sign-in
        "Query",  # the watchdog's state
    ]
    assert len(slack_sink.files.views) == 1
