"""The Chalice app under its own test client, wired to moto and the local Slack sink."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.settings import ConfigError
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
    dynamodb: Any, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Container]:
    """Give the app a fresh container for the given settings (one per 'cold start')."""

    def build(**settings: str) -> Container:
        container = Container(slack_env(slack_sink, **settings))
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
