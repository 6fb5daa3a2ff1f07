"""GIVEN dev and prod deployed in one account (moto) WHEN the same sign-in reaches a
dev stage and a prod stage THEN each env keeps it in its own ledger table and each
posts it: a dev run never makes a prod alert a duplicate."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from localdev.fast_forward import FastForward
from localdev.slack_sink import SlackSink
from tests.conftest import load_event
from tests.deploy.operator import run_manage
from tools.stages import load_stages

EVENT = "root_success_no_mfa.json"


def items_naming(table: str, event_id: str) -> int:
    """How many of the table's items mention the sign-in's CloudTrail eventID."""
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    return sum(event_id in json.dumps(item) for item in items)


def test_each_env_names_its_own_ledger_table() -> None:
    tables = {
        env: {s.ledger_table for s in load_stages().values() if s.env == env}
        for env in ("dev", "prod")
    }
    assert tables == {"dev": {"signin-alerts-ledger-dev"}, "prod": {"signin-alerts-ledger-prod"}}


def test_dev_and_prod_never_share_an_item(
    aws: None,
    slack_sink: SlackSink,
    fast_forward: FastForward,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for env_name in ("dev", "prod"):
        assert run_manage("provision", "--env", env_name).exit_code == 0
    event: Any = load_event(EVENT)
    for name in ("dev-us-east-1", "prod-us-east-1"):
        stage = load_stages()[name]
        env = {
            **stage.environment,
            "AWS_REGION": stage.region,
            "SLACK_WEBHOOK_URL": slack_sink.webhook_url,
            "SLACK_WEBHOOK_URL_PARAM": "",
            "SLACK_SIGNING_SECRET_PARAM": "",
        }
        monkeypatch.setattr(app_module, "container", Container(env, clocks=fast_forward.clocks()))
        with Client(app_module.app) as client:
            client.lambda_.invoke("console_signin", event)

    assert len(slack_sink.messages) == 2  # posted once per env, never a "duplicate"
    event_id = event["detail"]["eventID"]
    assert items_naming("signin-alerts-ledger-dev", event_id) > 0
    assert items_naming("signin-alerts-ledger-prod", event_id) > 0
    tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert tables == ["signin-alerts-ledger-dev", "signin-alerts-ledger-prod"]
