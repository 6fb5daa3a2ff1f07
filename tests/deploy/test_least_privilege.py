"""GIVEN each stage's IAM policy file WHEN the app handles real sign-ins as that stage
(Slack up, Slack down, secrets from SSM) THEN every AWS call it makes is allowed by the
policy, and the policy grants no `*` action."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.signin.pattern import ACCOUNT_CHANGE_PATTERN, SIGNIN_EVENT_PATTERN
from chalicelib.store.provision import create_ledger_table
from chalicelib.watchdog.checks import organization_checks
from chalicelib.watchdog.findings import Check, StageIdentity, stack_set_name
from chalicelib.watchdog.run import run_check
from chalicelib.watchdog.wiring import run_watchdog
from localdev.fast_forward import FastForward
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import EVENTS, load_event
from tests.deploy.iam import ACCOUNT, Call, allows, recording_aws_calls
from tests.deploy.operator import stage_config_copy
from tests.deploy.organization import organization
from tests.functional.organization import Organization
from tools import policy as tools_policy
from tools.deploy import DeployReport, forward, record_forwarded
from tools.org_watch import set_watch
from tools.policy import policy_path, render
from tools.stages import load_stages

STAGES = sorted(load_stages())
ORGANIZATION_READS = (
    "DescribeOrganization",
    "ListAccounts",
    "ListParents",
    "DescribeOrganizationalUnit",
)


def slack_headers(signing_secret: str, body: bytes, at: float | None = None) -> dict[str, str]:
    """A request signed as Slack signs it at `at` (the app's clock; by default now)."""
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(
        signing_secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256
    ).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def stage_policy(stage_name: str) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(policy_path(load_stages()[stage_name]).read_text())
    return policy


@pytest.mark.parametrize("stage_name", STAGES)
def test_every_call_the_handler_makes_is_allowed_by_the_stage_policy(
    stage_name: str,
    aws: None,
    slack_sink: SlackSink,
    fast_forward: FastForward,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stage = load_stages()[stage_name]
    create_ledger_table(
        boto3.client("dynamodb", region_name=stage.ledger_region), stage.ledger_table
    )
    ssm = boto3.client("ssm", region_name=stage.region)
    for name in stage.secret_parameters.values():
        ssm.put_parameter(Name=name, Value=slack_sink.webhook_url, Type="SecureString")
    # An organization to read: names, states and OU paths (chalicelib/organization/).
    Organization.create().account("Payments-Prod", "Workloads/Payments")
    # Exactly the stage's settings, as Lambda in the stage's region would see them.
    env = {**stage.environment, "AWS_REGION": stage.region, "SLACK_TIMEOUT_SECONDS": "1"}
    # The stage's own pacing between messages, on a clock that skips the waits.
    container = Container(env, clocks=fast_forward.clocks())
    monkeypatch.setattr(app_module, "container", container)
    slack_sink.then(Reply(500, "down"), Reply(500, "down"), Reply(500, "down"))
    events = [load_event(path.name) for path in sorted(EVENTS.glob("*.json"))]
    events = [event for event in events if "detail" in event]

    with recording_aws_calls(monkeypatch) as recorder, Client(app_module.app) as client:
        for event in events + events:  # the second pass meets duplicates and retries
            try:
                client.lambda_.invoke("console_signin", event)
            except Exception as error:  # Slack down: the handler raises for Lambda's retry
                assert "Slack delivery failed" in str(error)
        for path, methods in sorted(app_module.app.routes.items()):  # e.g. /recent-logins
            if "POST" in methods:
                body = urlencode(
                    {
                        "command": "/recent-logins",
                        "text": "",
                        "user_id": "U0001",
                        "team_id": "T0001",
                        "response_url": slack_sink.webhook_url,
                    }
                ).encode()
                client.http.post(
                    path,
                    headers=slack_headers(slack_sink.webhook_url, body, fast_forward.time()),
                    body=body,
                )

    assert slack_sink.messages, "the run must reach Slack through the SSM secret"
    actions = {call.action for call in recorder.calls}
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "ssm:GetParameter"} <= actions
    assert {f"organizations:{name}" for name in ORGANIZATION_READS} <= actions
    policy = stage_policy(stage_name)
    denied = sorted({call for call in recorder.calls if not allows(policy, call)}, key=str)
    assert denied == []


@pytest.mark.parametrize("stage_name", STAGES)
def test_no_policy_grants_a_wildcard_action(stage_name: str) -> None:
    for statement in stage_policy(stage_name)["Statement"]:
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            service, _, name = action.partition(":")
            assert service != "*" and name and "*" not in name, action


@pytest.mark.parametrize("stage_name", STAGES)
def test_policy_files_match_the_stage_settings(stage_name: str) -> None:
    stage = load_stages()[stage_name]
    assert policy_path(stage).read_text() == render(stage), "run `python manage.py policies`"


def test_a_call_outside_the_policy_is_reported() -> None:
    policy = stage_policy("prod-us-west-2")
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/signin-alerts-ledger-prod"

    assert allows(policy, Call("dynamodb:PutItem", table))
    assert allows(policy, Call("dynamodb:Query", f"{table}/index/by-time"))
    assert not allows(policy, Call("dynamodb:DeleteTable", table))
    assert not allows(policy, Call("dynamodb:PutItem", table.replace("ledger", "other")))
    assert not allows(policy, Call("dynamodb:Scan", table))
    prod_secret = (
        "arn:aws:ssm:us-west-2:123456789012:parameter/signin-alerts/prod/slack-webhook-url"
    )
    assert allows(policy, Call("ssm:GetParameter", prod_secret))
    assert not allows(policy, Call("ssm:GetParameter", prod_secret.replace("prod", "dev")))
    assert not allows(
        policy, Call("ssm:GetParameter", prod_secret.replace("us-west-2", "us-east-1"))
    )
    key = "arn:aws:kms:us-west-2:123456789012:key/k"
    assert not allows(policy, Call("kms:Decrypt", key))
    assert allows(
        policy, Call("kms:Decrypt", key, (("kms:ViaService", "ssm.us-west-2.amazonaws.com"),))
    )


def test_transactions_and_batches_are_checked_item_by_item() -> None:
    from tests.deploy.iam import calls_for

    table = "arn:aws:dynamodb:us-east-1:123456789012:table/signin-alerts-ledger-prod"
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "signin-alerts-ledger-prod", "Item": {}}},
            {"Update": {"TableName": "signin-alerts-ledger-prod", "Key": {}}},
        ]
    }
    batch: dict[str, Any] = {"RequestItems": {"signin-alerts-ledger-prod": {"Keys": []}}}

    assert calls_for("dynamodb", "TransactWriteItems", transaction, "us-east-1") == [
        Call("dynamodb:PutItem", table),
        Call("dynamodb:UpdateItem", table),
    ]
    assert calls_for("dynamodb", "BatchGetItem", batch, "us-east-1") == [
        Call("dynamodb:BatchGetItem", table)
    ]
    batch_write: dict[str, Any] = {"RequestItems": {"signin-alerts-ledger-prod": []}}
    [write_call] = calls_for("dynamodb", "BatchWriteItem", batch_write, "us-east-1")
    assert write_call == Call("dynamodb:BatchWriteItem", table)
    assert not allows(stage_policy("prod-us-east-1"), write_call)


@pytest.mark.parametrize("stage_name", STAGES)
def test_every_call_was_this_you_makes_is_allowed_by_the_stage_policy(
    stage_name: str, aws: None, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked, one person says no, another says nothing, the sweep escalates: as the stage."""
    from tests.functional.confirm_flow import Flow, confirm_env

    stage = load_stages()[stage_name]
    create_ledger_table(
        boto3.client("dynamodb", region_name=stage.ledger_region), stage.ledger_table
    )
    ssm = boto3.client("ssm", region_name=stage.region)
    for name in stage.secret_parameters.values():
        ssm.put_parameter(Name=name, Value="unused", Type="SecureString")
    env = {
        **confirm_env(slack_sink, SLACK_USER_MAP="arn:aws:iam::*:user/*=U0ALICE"),
        **stage.environment,
        "AWS_REGION": stage.region,
        "SLACK_WEBHOOK_URL": "",
        "SLACK_WEBHOOK_URL_PARAM": "",
        "SLACK_SIGNING_SECRET_PARAM": "",
    }
    clock = FastForward()
    container = Container(env, clocks=clock.clocks())
    monkeypatch.setattr(app_module, "container", container)

    with recording_aws_calls(monkeypatch) as recorder, Client(app_module.app) as client:
        # Warm, as after a first event: the test client gives an invocation 3 s.
        assert container.alerter is not None and container.interactions is not None
        container.notifier()
        container.slack_api()
        flow = Flow(client, slack_sink, None, clock)
        flow.signin("e-no", at=clock.now())
        flow.signin("e-silent", user="bob", at=clock.now())
        flow.click("signin_not_me", "e-no")
        clock.advance(minutes=20)
        flow.sweep()
        listing = urlencode({"team_id": "T0SECTEAM", "user_id": "U0ALICE", "text": ""}).encode()
        reply = client.http.post(
            "/slack/recent-logins",
            headers=slack_headers(env["SLACK_SIGNING_SECRET"], listing, clock.time()),
            body=listing,
        )
        assert reply.status_code == 200 and b"not allowed" not in reply.body

    assert len(flow.channel_posts()) == 4  # two alerts, a denial, a silence
    actions = {call.action for call in recorder.calls}
    assert {"dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchGetItem"} <= actions
    policy = stage_policy(stage_name)
    denied = sorted({call for call in recorder.calls if not allows(policy, call)}, key=str)
    assert denied == []


@pytest.mark.parametrize("stage_name", STAGES)
def test_every_call_the_watchdog_makes_is_allowed_by_the_stage_policy(
    stage_name: str, aws: None, slack_sink: SlackSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check runs (a problem would show a check that could not), with a parked
    alert so the queue is peeked, and in us-east-1 the forwarding rules are read."""
    stage = load_stages()[stage_name]
    create_ledger_table(
        boto3.client("dynamodb", region_name=stage.ledger_region), stage.ledger_table
    )
    ssm = boto3.client("ssm", region_name=stage.region)
    for name in stage.secret_parameters.values():
        ssm.put_parameter(Name=name, Value=slack_sink.webhook_url, Type="SecureString")
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
    cloudtrail.create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="org-trail")
    events = boto3.client("events", region_name=stage.region)
    rule = f"{stage.function_prefix}-console_signin-event"
    events.put_rule(Name=rule, EventPattern=json.dumps(SIGNIN_EVENT_PATTERN), State="ENABLED")
    function = f"arn:aws:lambda:{stage.region}:{ACCOUNT}:function:{stage.function_prefix}"
    events.put_targets(Rule=rule, Targets=[{"Id": "1", "Arn": f"{function}-console_signin"}])
    changes = f"{stage.function_prefix}-account_change-event"
    events.put_rule(Name=changes, EventPattern=json.dumps(ACCOUNT_CHANGE_PATTERN), State="ENABLED")
    events.put_targets(Rule=changes, Targets=[{"Id": "1", "Arn": f"{function}-account_change"}])
    sqs = boto3.client("sqs", region_name=stage.region)
    queue = sqs.create_queue(QueueName=stage.failure_queue)["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="{}")
    session = boto3.session.Session()
    report = DeployReport()
    forward(session, stage.env, ["us-east-2"], [stage.region], report)
    record_forwarded(session, [stage], report, [stage.region])
    container = Container({**stage.environment, "AWS_REGION": stage.region})
    context = SimpleNamespace(invoked_function_arn=f"{function}-watchdog")

    with recording_aws_calls(monkeypatch) as recorder:
        result = run_watchdog(container, context, deadline=time.monotonic() + 30)

    assert result["problems"] == ["undelivered"]
    actions = {call.action for call in recorder.calls}
    assert {"cloudtrail:GetTrailStatus", "events:DescribeRule", "sqs:ReceiveMessage"} <= actions
    assert ("events:DescribeRule" in actions) and (
        any("forward-signins" in call.resource for call in recorder.calls)
        == any("forward-changes" in call.resource for call in recorder.calls)
        == (stage.region == "us-east-1")
    )
    assert any("account_change-event" in call.resource for call in recorder.calls)
    denied = sorted(
        {call for call in recorder.calls if not allows(stage_policy(stage_name), call)}, key=str
    )
    assert denied == []


def test_the_watchdog_policy_reads_only_its_own_stage() -> None:
    policy = stage_policy("prod-us-west-2")
    prefix = "signin-alerts-prod-us-west-2"
    own_rule = f"arn:aws:events:us-west-2:123456789012:rule/{prefix}-console_signin-event"
    queue = f"arn:aws:sqs:us-west-2:123456789012:{prefix}-undelivered"

    assert allows(policy, Call("events:DescribeRule", own_rule))
    assert not allows(policy, Call("events:PutRule", own_rule))
    assert not allows(policy, Call("events:DescribeRule", own_rule.replace("prod", "dev")))
    assert allows(policy, Call("sqs:GetQueueAttributes", queue))
    assert not allows(policy, Call("sqs:DeleteMessage", queue))
    assert not allows(policy, Call("sqs:ReceiveMessage", queue.replace("prod", "dev")))
    assert not allows(
        policy, Call("cloudtrail:StopLogging", "arn:aws:cloudtrail:us-east-1:1:trail/t")
    )


@pytest.mark.parametrize("stage_name", ["prod-us-east-1"])
def test_forged_requests_make_no_aws_call_but_one_secret_read(
    stage_name: str, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood of forged slash commands costs one SSM read per container, nothing more."""
    stage = load_stages()[stage_name]
    ssm = boto3.client("ssm", region_name=stage.region)
    for name in stage.secret_parameters.values():
        ssm.put_parameter(Name=name, Value="the-real-secret", Type="SecureString")
    env = {**stage.environment, "AWS_REGION": stage.region}
    monkeypatch.setattr(app_module, "container", Container(env))
    body = urlencode({"command": "/recent-logins", "text": "50", "team_id": "T0001"}).encode()
    forgeries = [
        slack_headers("a-guessed-secret", body),
        {**slack_headers("the-real-secret", body), "X-Slack-Request-Timestamp": "1"},
        {"Content-Type": "application/x-www-form-urlencoded"},
    ]

    with recording_aws_calls(monkeypatch) as recorder, Client(app_module.app) as client:
        statuses = [
            client.http.post("/slack/recent-logins", headers=headers, body=body).status_code
            for headers in forgeries * 20
        ]

    assert set(statuses) == {401}
    [read] = recorder.calls[:1]
    assert [call.action for call in recorder.calls] == ["ssm:GetParameter", "kms:Decrypt"]
    assert read.resource.endswith(stage.secret_parameters["SLACK_SIGNING_SECRET"])


def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def test_every_call_the_organization_checks_make_is_allowed_by_the_policy(
    aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ORGANIZATION_WATCH on the us-east-1 stage, as `deploy --org` writes it (config and
    policy file): the organization, the env's stack set and each member's partition of
    the ledger are read, and only those."""
    home = load_stages()["prod-us-east-1"]
    project = stage_config_copy(tmp_path)
    stage = set_watch("prod", project, True, [], dry_run=False)
    assert stage is not None and stage.environment["ORGANIZATION_WATCH"] == "true"
    written = json.loads(policy_path(stage, project).read_text())
    organization()  # the env's ledger, an OU of it the stack set targets, a member
    identity = StageIdentity.of(stage.name, stage.region, ACCOUNT)

    with recording_aws_calls(monkeypatch) as recorder:
        specs = organization_checks(
            identity,
            clients=_client,
            dynamodb=boto3.client("dynamodb", region_name=stage.ledger_region),
            table=stage.ledger_table,
            clock=lambda: datetime.now(UTC),
        )
        findings = [run_check(spec) for spec in specs]

    assert {finding.check for finding in findings} == {Check.ORG_INSTANCE, Check.ORG_QUIET}
    assert not any("could not run" in finding.what for finding in findings)
    actions = {call.action for call in recorder.calls}
    assert {"organizations:ListAccounts", "cloudformation:ListStackInstances"} <= actions
    policy = tools_policy.stage_policy(stage)
    assert written == policy  # the file Chalice puts on the stage's role
    assert sorted({call for call in recorder.calls if not allows(policy, call)}, key=str) == []
    other_env = (
        f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stackset/signin-alerts-dev-organization:1"
    )
    assert not allows(policy, Call("cloudformation:ListStackInstances", other_env))
    assert not allows(policy, Call("cloudformation:DeleteStackInstances", other_env))
    # a stage that does not watch an organization may not read its stack instances (it
    # reads the organization's account names, as every stage does)
    own = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stackset/{stack_set_name('prod')}:1"
    assert not allows(
        tools_policy.stage_policy(home), Call("cloudformation:ListStackInstances", own)
    )
