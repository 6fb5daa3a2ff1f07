"""A moto server on 127.0.0.1 standing in for AWS, and a throwaway copy of the project
to deploy from (so `.chalice/deployed/` is never written into the repository)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.apigateway.models import APIGatewayBackend, RestAPI

from localdev.aws import LocalAws
from tests.deploy.operator import SIGNING_SECRET, WEBHOOK, add_trail, run_manage
from tests.deploy.wheelhouse import build_wheelhouse
from tools.stages import PROJECT_DIR

PROJECT_FILES = ("app.py", "chalicelib", "requirements.txt", ".chalice")


def as_openapi3(api_doc: dict[str, Any]) -> dict[str, Any]:
    """moto 5.2 imports only OpenAPI 3 documents with an `info.description`; Chalice
    sends swagger 2.0 without one. The parts moto reads are the same in both."""
    doc = dict(api_doc)
    if doc.pop("swagger", None) is not None:
        doc["openapi"] = "3.0.1"
    doc["info"] = {"description": "", **doc.get("info", {})}
    return doc


def _patch_moto_for_chalice_swagger(monkeypatch: pytest.MonkeyPatch) -> None:
    original_import = APIGatewayBackend.import_rest_api
    original_put = APIGatewayBackend.put_rest_api

    def import_rest_api(self: Any, api_doc: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return original_import(self, as_openapi3(api_doc), *args, **kwargs)

    def put_rest_api(
        self: Any, function_id: str, api_doc: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        return original_put(self, function_id, as_openapi3(api_doc), *args, **kwargs)

    monkeypatch.setattr(APIGatewayBackend, "import_rest_api", import_rest_api)
    monkeypatch.setattr(APIGatewayBackend, "put_rest_api", put_rest_api)

    # API Gateway keeps a stage's settings (throttling) when a new deployment goes to
    # it, as `chalice deploy` does on every run; moto 5.2 builds a new, bare stage.
    original_deploy = RestAPI.create_deployment

    def create_deployment(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        before = self.stages.get(name)
        deployment = original_deploy(self, name, *args, **kwargs)
        if before is not None and name in self.stages:
            self.stages[name].method_settings = before.method_settings
        return deployment

    monkeypatch.setattr(RestAPI, "create_deployment", create_deployment)


class FakeAws:
    """The moto server's endpoint, and clients pointed at it."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

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
    return build_wheelhouse(PROJECT_DIR / "requirements.txt", tmp_path_factory.mktemp("wheels"))


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    """Chalice packages requirements.txt with pip: keep pip off the internet."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}


@contextmanager
def rehearsal_aws(wheelhouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAws]:
    """A moto server that Chalice can deploy to, offline pip and fake credentials: the
    rehearsal tests and bench/deploy_rehearsal.py run `manage.py deploy` against it."""
    with LocalAws() as aws:
        _patch_moto_for_chalice_swagger(monkeypatch)
        for name, value in {**aws.env, **offline_pip_env(wheelhouse)}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        yield FakeAws(aws.endpoint_url)


@pytest.fixture(scope="module")
def fake_aws(wheelhouse: Path) -> Iterator[FakeAws]:
    """Environment for a whole module: moto server, offline pip, fake credentials."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        rehearsal_aws(wheelhouse, monkeypatch) as fake,
    ):
        yield fake


@pytest.fixture(autouse=True)
def _point_at_fake_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repo-wide autouse fixture removes AWS_ENDPOINT_URL; put it back per test."""
    if "fake_aws" in request.fixturenames:
        fake: FakeAws = request.getfixturevalue("fake_aws")
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.endpoint)


def copy_project(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(
                source, dest / name, ignore=shutil.ignore_patterns("deployed", "deployments")
            )
        else:
            shutil.copy2(source, dest / name)
    return dest
