"""A moto server on 127.0.0.1 standing in for AWS, and a throwaway copy of the project
to deploy from (so `.chalice/deployed/` is never written into the repository)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from localdev.lambda_targets import LambdaEvents, kept_lambda_events
from localdev.rehearsal import copy_project as copy_project
from localdev.rehearsal import emulated_aws
from localdev.rehearsal import offline_pip_env as offline_pip_env
from localdev.wheelhouse import build_wheelhouse
from tests.deploy.operator import SIGNING_SECRET, WEBHOOK, add_trail, run_manage
from tools.stages import PROJECT_DIR


class FakeAws:
    """The moto server's endpoint, clients pointed at it, and what EventBridge handed to
    Lambda targets (function ARN, event), which moto does not run."""

    def __init__(self, endpoint: str, lambda_events: LambdaEvents | None = None) -> None:
        self.endpoint = endpoint
        self.lambda_events: LambdaEvents = [] if lambda_events is None else lambda_events

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=self.endpoint
        )

    def ready_for_deploy(self, env: str, project: Path) -> None:
        """What docs/deploy.md has a user do before deploying: `manage.py secrets` (SSM
        parameters, SLACK_TEAM_ID) and a multi-region trail that is logging."""
        run = run_manage(
            "secrets",
            "--env",
            env,
            "--webhook-url",
            WEBHOOK,
            "--signing-secret",
            SIGNING_SECRET,
            "--project-dir",
            str(project),
        )
        assert run.exit_code == 0, run.output
        add_trail(self.client)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels: Path = build_wheelhouse(
        PROJECT_DIR / "requirements.txt", tmp_path_factory.mktemp("wheels")
    )
    return wheels


@contextmanager
def rehearsal_aws(wheelhouse: Path) -> Iterator[FakeAws]:
    """A moto server that Chalice can deploy to (the patch `make rehearse` uses),
    offline pip and fake credentials: `manage.py deploy` runs against it."""
    with emulated_aws(wheelhouse) as endpoint, kept_lambda_events() as lambda_events:
        yield FakeAws(endpoint, lambda_events)


@pytest.fixture(scope="module")
def fake_aws(wheelhouse: Path) -> Iterator[FakeAws]:
    """Environment for a whole module: moto server, offline pip, fake credentials."""
    with rehearsal_aws(wheelhouse) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _point_at_fake_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repo-wide autouse fixture removes AWS_ENDPOINT_URL; put it back per test."""
    if "fake_aws" in request.fixturenames:
        fake: FakeAws = request.getfixturevalue("fake_aws")
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.endpoint)
