"""Shared fixtures: Slack is a real HTTP server on 127.0.0.1, AWS is moto in-process,
time is a clock that skips the waits (localdev.fast_forward)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.store.provision import create_ledger_table
from localdev import fast_moto, moto_limits
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink

fast_moto.install()  # a call costs what it costs DynamoDB, not moto's bookkeeping
moto_limits.install()  # an item that outgrows 400 KB fails here as on AWS

EVENTS = Path(__file__).parent / "events"
FIXTURES = EVENTS  # copies of ../shared/fixtures, so a clone tests on its own
TABLE = "signin-alerts-test"
# Where the tests' clock starts: a fixed instant, so that no result depends on the day or
# the hour the suite runs (digest hours, day counters, "since" windows).
NOW = datetime(2026, 11, 25, 14, 27, 13, tzinfo=UTC)


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


@pytest.fixture(autouse=True, scope="session")
def _one_botocore_loader() -> Iterator[None]:
    """Each Container makes its own boto3 session, as each Lambda container does, and a
    new session parses botocore's JSON models again (0.1 to 0.3 s of CPU). One loader,
    with its cache, for every session of the test run."""
    import botocore.loaders
    import botocore.session

    loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lambda search_paths=None: loader)
        yield


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach AWS: fake credentials, a fixed region, no endpoint overrides."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="module")
def _moto() -> Iterator[Any]:
    """moto for a whole module: starting it drops boto3's default session, and a new
    one parses botocore's endpoint data again (half a second). Only modules that ask
    for `aws` have it, so a module with a moto server of its own is left alone."""
    with mock_aws() as mock:
        yield mock


@pytest.fixture
def aws(_moto: Any) -> None:
    """An empty AWS for each test: nothing another test created is left."""
    _moto.reset()


@pytest.fixture
def dynamodb(aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_ledger_table(client, TABLE)
    return client


@pytest.fixture
def fast_forward() -> FastForward:
    """The app's and the sink's clock: it starts at NOW and moves only when slept on."""
    return FastForward(NOW)


@pytest.fixture
def slack_sink(fast_forward: FastForward) -> Iterator[SlackSink]:
    with SlackSink(clock=fast_forward.monotonic, wall_clock=fast_forward.time) as sink:
        yield sink


def fixture_records() -> list[dict[str, Any]]:
    lines = (FIXTURES / "signin-records.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def slack_env(sink: SlackSink, **extra: str) -> dict[str, str]:
    """The environment a stage would have, pointed at the local sink and moto."""
    env = {
        "LEDGER_TABLE": TABLE,
        "SLACK_WEBHOOK_URL": sink.webhook_url,
        "SLACK_TIMEOUT_SECONDS": "2",
        # The sink takes any pace unless a test gives it Slack's rate limit (and then
        # the stage's production interval): keep unrelated tests from waiting.
        "SLACK_MIN_INTERVAL_SECONDS": "0.02",
    }
    env.update(extra)
    return env


def honours_retry_after(sink: SlackSink) -> bool:
    """Every 429 is followed by a quiet channel for at least its Retry-After."""
    requests = sorted(sink.requests, key=lambda request: request.at)
    for index, request in enumerate(requests):
        if request.status != 429:
            continue
        wait = sink.rate_limit.retry_after if sink.rate_limit else 1.0
        later = requests[index + 1 : index + 2]
        if later and later[0].at - request.at < wait - 0.05:
            return False
    return True
