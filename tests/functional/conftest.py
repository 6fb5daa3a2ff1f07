"""The Chalice app under its own test client, wired to moto and the local Slack sink."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.settings import ConfigError
from chalicelib.slack.verify import sign
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import slack_env


class Invoker:
    """Runs the real `console_signin` handler through Chalice's test client."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = self._client.lambda_.invoke("console_signin", event).payload
        return payload


@pytest.fixture
def configure(
    dynamodb: Any, slack_sink: SlackSink, fast_forward: FastForward, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Container]:
    """Give the app a fresh container for the given settings (one per 'cold start'),
    pacing its Slack messages on the test's clock."""

    def build(**settings: str) -> Container:
        env = slack_env(slack_sink, **settings)
        container = Container(env, clocks=fast_forward.clocks())
        # Warm, as a container is after its first event: the test client gives each
        # invocation only 3 s, which should go to Slack's behaviour, not to boto3's start.
        with contextlib.suppress(ConfigError):  # a bad setting must fail in the handler
            assert container.alerter is not None
        monkeypatch.setattr(app_module, "container", container)
        return container

    build()
    return build


@pytest.fixture
def invoke(configure: Callable[..., Container]) -> Iterator[Invoker]:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Invoker(client)


SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
TEAM_ID = "T0SECTEAM"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0SECOPS"


@dataclass
class SlashReply:
    status: int
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def text(self) -> str:
        """Everything Slack would render: the fallback text and every block's text."""
        return json.dumps(self.json, ensure_ascii=False)


class Slash:
    """Posts `/recent-logins` to the real route, signed as Slack signs it."""

    def __init__(self, client: Client, configure: Callable[..., Container]) -> None:
        self._client = client
        self._configure = configure
        self.settings: dict[str, str] = {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_TEAM_ID": TEAM_ID,
        }
        self.container = configure(**self.settings)

    def configure(self, **settings: str) -> Container:
        self.settings.update(settings)
        self.container = self._configure(**self.settings)
        return self.container

    def form(self, text: str = "", **fields: str) -> bytes:
        values = {
            "token": "legacy-token-not-used",
            "team_id": TEAM_ID,
            "team_domain": "sec",
            "channel_id": CHANNEL_ID,
            "channel_name": "secops",
            "user_id": USER_ID,
            "user_name": "alice",
            "command": "/recent-logins",
            "text": text,
            "response_url": "https://hooks.slack.com/commands/T0SECTEAM/1/secret",
            "trigger_id": "1.2.3",
        }
        values.update(fields)
        return urlencode(values).encode()

    def post_raw(self, body: bytes, headers: dict[str, str]) -> SlashReply:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        response = self._client.http.post("/slack/recent-logins", headers=headers, body=body)
        return SlashReply(response.status_code, response.body)

    def post_body(
        self, body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
    ) -> SlashReply:
        stamp = int(self.container.clocks.time()) if timestamp is None else timestamp
        return self.post_raw(
            body,
            {
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": sign(secret, stamp, body),
            },
        )

    def __call__(self, text: str = "", **fields: str) -> SlashReply:
        return self.post_body(self.form(text, **fields))


@pytest.fixture
def slash(configure: Callable[..., Container]) -> Iterator[Slash]:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield Slash(client, configure)
