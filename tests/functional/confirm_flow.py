"""A stage with "Was this you?" on, driven through the real handlers: sign-ins through
`console_signin`, answers signed as Slack signs them through `POST /slack/interactions`,
sweeps through `pending_confirmations`; Slack is the local sink, time a movable clock."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalice.local import LambdaContext
from chalice.test import Client

from chalicelib.container import Container
from chalicelib.store.schema import event_key
from localdev.events import console_login
from localdev.fast_forward import FastForward
from localdev.interactions import click_body, signed_headers
from localdev.slack_sink import Received, SlackSink
from tests.conftest import TABLE, slack_env

START = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
TEAM_ID = "T0SECTEAM"
ALICE = "U0ALICE"
MALLORY = "U0MALLORY"
MENTION = "<!subteam^S0SEC>"
CHANNEL = "C0SECOPS"
# Every `<...>` Slack would act on: mentions, broadcasts, links, dates.
SLACK_ENTITY = re.compile(r"<[!@#][^>]*>")


@dataclass
class Reply:
    status: int
    body: bytes


def confirm_env(sink: SlackSink, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_WEBHOOK_URL": "",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_CHANNEL": CHANNEL,
        "SLACK_API_URL": sink.api_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_TEAM_ID": TEAM_ID,
        "CONFIRM_ENABLED": "true",
        "SLACK_USER_MAP": f"arn:aws:iam::*:user/alice={ALICE},arn:aws:iam::*:user/hostile*={ALICE}",
        "SLACK_ESCALATION_MENTION": MENTION,
    }
    env.update(extra)
    return slack_env(sink, **env)


class Flow:
    def __init__(self, client: Client, sink: SlackSink, dynamodb: Any, clock: FastForward) -> None:
        self.client = client
        self.sink = sink
        self.dynamodb = dynamodb
        self.clock = clock

    # -- the three ways in ------------------------------------------------------------
    def signin(
        self, event_id: str, *, user: str = "alice", mfa: bool = False, at: datetime = START
    ) -> dict[str, Any]:
        """Through the real `console_signin` handler, with a Lambda's 60 s: the test
        client's fixed 3 s would make the pipeline's Slack deadline depend on how busy
        this machine is."""
        event = console_login(event_id, at, user=user, success=True, mfa=mfa)
        return self.invoke(event)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        import app as app_module

        context = LambdaContext("console_signin", 256, max_runtime_ms=60_000)
        payload: dict[str, Any] = app_module.console_signin(event, context)
        return payload

    def sweep(self) -> dict[str, int]:
        event = {
            "version": "0",
            "id": "sweep",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/pending_confirmations"],
            "detail": {},
        }
        payload: dict[str, int] = self.client.lambda_.invoke("pending_confirmations", event).payload
        return payload

    def click_body(
        self,
        action_id: str,
        event_id: str,
        *,
        user_id: str = ALICE,
        team_id: str = TEAM_ID,
        payload_type: str = "block_actions",
    ) -> bytes:
        return click_body(
            action_id,
            event_id,
            user_id=user_id,
            team_id=team_id,
            response_url=f"{self.sink.base_url}/actions/{team_id}/1/secret",
            payload_type=payload_type,
        )

    def post(self, body: bytes, *, secret: str = SIGNING_SECRET) -> Reply:
        return self.post_signed(
            body, signed_headers(secret, body, timestamp=int(self.clock.time()))
        )

    def post_signed(self, body: bytes, headers: dict[str, str]) -> Reply:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        response = self.client.http.post("/slack/interactions", headers=headers, body=body)
        return Reply(response.status_code, response.body)

    def click(self, action_id: str, event_id: str, **fields: Any) -> Reply:
        return self.post(self.click_body(action_id, event_id, **fields))

    # -- what Slack and the ledger saw ----------------------------------------------------
    def calls(self, method: str) -> list[Received]:
        return [r for r in self.sink.delivered if r.path.endswith("/" + method)]

    def channel_posts(self) -> list[dict[str, Any]]:
        return [r.json for r in self.calls("chat.postMessage") if r.json["channel"][0] != "D"]

    def dms(self) -> list[dict[str, Any]]:
        return [r.json for r in self.calls("chat.postMessage") if r.json["channel"][0] == "D"]

    def updates(self, channel: str) -> list[dict[str, Any]]:
        return [r.json for r in self.calls("chat.update") if r.json["channel"] == channel]

    def ephemerals(self) -> list[dict[str, Any]]:
        return [r.json for r in self.sink.delivered if r.path.startswith("/actions/")]

    def item(self, event_id: str) -> dict[str, Any]:
        item: dict[str, Any] = self.dynamodb.get_item(
            TableName=TABLE, Key=event_key(event_id), ConsistentRead=True
        )["Item"]
        return item

    def state(self, event_id: str) -> dict[str, str]:
        """The question's attributes on the sign-in's ledger item."""
        return {
            name: value.get("S", "")
            for name, value in self.item(event_id).items()
            if name.startswith("confirm_") and name not in ("confirm_alert_blocks",)
        }


def rendered(message: dict[str, Any]) -> str:
    """Every text Slack would render in a message (top level and attachments)."""
    return json.dumps(message, ensure_ascii=False)


def entities(message: dict[str, Any]) -> set[str]:
    found = set(SLACK_ENTITY.findall(rendered(message)))
    return {entity for entity in found if not entity.startswith("<!date^")}


def build(sink: SlackSink, clock: FastForward, **settings: str) -> Container:
    """A container warmed as after its first event: the test client gives each
    invocation 3 s, which should go to the flow, not to boto3's and slack_sdk's start."""
    container = Container(confirm_env(sink, **settings), clocks=clock.clocks())
    assert container.alerter is not None and container.interactions is not None
    container.notifier()
    container.slack_api()
    return container
