"""GIVEN a moto server standing in for AWS WHEN `manage.py deploy --env prod` runs for
both regions THEN each region has what a user relies on, and a second run changes
nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

import app as app_module
from chalicelib.settings import Settings
from chalicelib.signin.pattern import ACCOUNT_CHANGE_PATTERN, SIGNIN_EVENT_PATTERN
from tests.conftest import EVENTS, load_event
from tests.deploy.conftest import FakeAws, copy_project
from tests.deploy.operator import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    WEBHOOK,
    Run,
    add_trail,
    edit_config,
    run_manage,
)
from tools.forwarding import forward_role_name, forward_rule_name
from tools.hardening import LAMBDA_MAX_RETRIES

REGIONS = ["us-east-1", "us-west-2"]
FORWARD_FROM = ["us-east-2", "eu-north-1", "us-west-1"]
ALARM_EMAIL = "oncall@example.com"


def _without(mapping: dict[str, Any], *volatile: str) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if key not in volatile}


def snapshot(aws: FakeAws) -> dict[str, Any]:
    """Everything deploy creates or configures, as AWS describes it."""
    state: dict[str, Any] = {}
    for region in REGIONS + FORWARD_FROM:
        lam, events, sqs = (aws.client(name, region) for name in ("lambda", "events", "sqs"))
        functions = {}
        for function in lam.list_functions()["Functions"]:
            name = function["FunctionName"]
            try:
                invoke_config = _without(
                    lam.get_function_event_invoke_config(FunctionName=name),
                    "LastModified",
                    "ResponseMetadata",
                )
            except lam.exceptions.ResourceNotFoundException:
                invoke_config = {}
            functions[name] = {
                "config": _without(
                    function, "LastModified", "RevisionId", "CodeSha256", "CodeSize"
                ),
                "invoke_config": invoke_config,
            }
        rules = {
            rule["Name"]: {
                "rule": rule,
                "targets": events.list_targets_by_rule(Rule=rule["Name"])["Targets"],
            }
            for rule in events.list_rules()["Rules"]
        }
        queues = {
            url: _without(
                sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"],
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
            for url in sqs.list_queues().get("QueueUrls", [])
        }
        apigateway = aws.client("apigateway", region)
        apis = {
            api["name"]: sorted(
                resource["path"]
                for resource in apigateway.get_resources(restApiId=api["id"])["items"]
            )
            for api in apigateway.get_rest_apis()["items"]
        }
        tables = aws.client("dynamodb", region).list_tables()["TableNames"]
        sns = aws.client("sns", region)
        topics = {
            topic["TopicArn"]: sorted(
                (sub["Protocol"], sub["Endpoint"])
                for sub in sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])[
                    "Subscriptions"
                ]
            )
            for topic in sns.list_topics()["Topics"]
        }
        alarms = {
            alarm["AlarmName"]: _without(alarm, "StateUpdatedTimestamp")
            for alarm in aws.client("cloudwatch", region).describe_alarms()["MetricAlarms"]
        }
        concurrency = {
            name: lam.get_function_concurrency(FunctionName=name).get(
                "ReservedConcurrentExecutions"
            )
            for name in functions
        }
        stages = {
            api["name"]: [
                stage.get("methodSettings")
                for stage in apigateway.get_stages(restApiId=api["id"])["item"]
            ]
            for api in apigateway.get_rest_apis()["items"]
        }
        state[region] = {
            "topics": topics,
            "alarms": alarms,
            "concurrency": concurrency,
            "api_stages": stages,
            "functions": functions,
            "rules": rules,
            "queues": queues,
            "apis": apis,
            "tables": tables,
        }
    iam = aws.client("iam")
    state["roles"] = {
        role["RoleName"]: {
            name: iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
        }
        for role in iam.list_roles()["Roles"]
    }
    return state


@dataclass
class Rehearsal:
    first: Run
    second: Run
    before_second: dict[str, Any]
    after_second: dict[str, Any]
    project: Path


@pytest.fixture(scope="module")
def rehearsal(fake_aws: FakeAws, tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    project = copy_project(tmp_path_factory.mktemp("project"))
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["environment_variables"]["ALARM_EMAIL"] = ALARM_EMAIL
    config_path.write_text(json.dumps(config))
    fake_aws.ready_for_deploy("prod", project)
    argv = [
        "deploy",
        "--env",
        "prod",
        "--regions",
        ",".join(REGIONS),
        "--forward-from",
        ",".join(FORWARD_FROM),
        "--project-dir",
        str(project),
    ]
    first = run_manage(*argv)
    before = snapshot(fake_aws)
    second = run_manage(*argv)
    return Rehearsal(first, second, before, snapshot(fake_aws), project)


def stage_prefix(region: str) -> str:
    return f"signin-alerts-prod-{region}"


@pytest.mark.parametrize("region", REGIONS)
def test_each_region_has_the_signin_function_and_its_rule(
    rehearsal: Rehearsal, fake_aws: FakeAws, region: str
) -> None:
    assert rehearsal.first.exit_code == 0, rehearsal.first.output
    lam = fake_aws.client("lambda", region)
    function = lam.get_function(FunctionName=f"{stage_prefix(region)}-console_signin")
    config = function["Configuration"]
    assert config["Environment"]["Variables"]["STAGE_REGION"] == region
    assert config["Environment"]["Variables"]["LEDGER_REGION"] == "us-east-1"

    events = fake_aws.client("events", region)
    rule = events.describe_rule(Name=f"{stage_prefix(region)}-console_signin-event")
    assert json.loads(rule["EventPattern"]) == SIGNIN_EVENT_PATTERN
    pattern = EventPattern.load(rule["EventPattern"])
    envelopes: list[Any] = [load_event(path.name) for path in sorted(EVENTS.glob("*.json"))]
    envelopes = [event for event in envelopes if "detail" in event]
    signins = [event for event in envelopes if event["source"] == "aws.signin"]
    assert len(signins) >= 10
    assert all(pattern.matches_event(event) for event in signins)
    # The account changes' rule (issue 23) names its events and targets its function.
    changes = events.describe_rule(Name=f"{stage_prefix(region)}-account_change-event")
    assert json.loads(changes["EventPattern"]) == ACCOUNT_CHANGE_PATTERN
    changed = EventPattern.load(changes["EventPattern"])
    api_calls = [event for event in envelopes if event["source"] in ("aws.iam", "aws.sts")]
    assert len(api_calls) >= 10 and all(changed.matches_event(event) for event in api_calls)
    [change_target] = events.list_targets_by_rule(Rule=changes["Name"])["Targets"]
    assert change_target["Arn"].endswith(f"{stage_prefix(region)}-account_change")
    assert "DeadLetterConfig" in change_target and "RetryPolicy" in change_target
    not_signin: Any = {**envelopes[0], "source": "aws.iam"}
    assert not pattern.matches_event(not_signin)
    [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == config["FunctionArn"]


@pytest.mark.parametrize("region", REGIONS)
def test_failed_alerts_are_retried_then_parked_in_the_region_queue(
    rehearsal: Rehearsal, fake_aws: FakeAws, region: str
) -> None:
    sqs = fake_aws.client("sqs", region)
    queue_url = sqs.get_queue_url(QueueName=f"{stage_prefix(region)}-undelivered")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    queue_arn = attributes["QueueArn"]

    invoke_config = fake_aws.client("lambda", region).get_function_event_invoke_config(
        FunctionName=f"{stage_prefix(region)}-console_signin"
    )
    assert invoke_config["MaximumRetryAttempts"] == LAMBDA_MAX_RETRIES
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn

    events = fake_aws.client("events", region)
    rule_name = f"{stage_prefix(region)}-console_signin-event"
    [target] = events.list_targets_by_rule(Rule=rule_name)["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": queue_arn}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0

    [statement] = json.loads(attributes["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    change_rule = f"{stage_prefix(region)}-account_change-event"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == sorted(
        events.describe_rule(Name=name)["Arn"] for name in (rule_name, change_rule)
    )
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)


@pytest.mark.parametrize("region", REGIONS)
def test_each_region_serves_the_routes_the_app_declares(
    rehearsal: Rehearsal, fake_aws: FakeAws, region: str
) -> None:
    routes = sorted(app_module.app.routes)
    apis = fake_aws.client("apigateway", region).get_rest_apis()["items"]
    if not routes:
        assert apis == []
        assert "no API (the app declares no routes)" in rehearsal.first.output
        return
    [api] = [api for api in apis if api["name"] == "signin-alerts"]
    paths = {
        resource["path"]
        for resource in fake_aws.client("apigateway", region).get_resources(restApiId=api["id"])[
            "items"
        ]
    }
    assert set(routes) <= paths
    if "/slack/recent-logins" in routes:
        assert "/api/slack/recent-logins" in rehearsal.first.output


def test_one_ledger_table_in_the_home_region(rehearsal: Rehearsal, fake_aws: FakeAws) -> None:
    assert fake_aws.client("dynamodb", "us-east-1").list_tables()["TableNames"] == [
        "signin-alerts-ledger-prod"
    ]
    assert fake_aws.client("dynamodb", "us-west-2").list_tables()["TableNames"] == []


def test_regions_without_a_stage_forward_to_the_nearest_stage(
    rehearsal: Rehearsal, fake_aws: FakeAws
) -> None:
    expected = {"us-east-2": "us-east-1", "eu-north-1": "us-east-1", "us-west-1": "us-west-2"}
    for source, target in expected.items():
        events = fake_aws.client("events", source)
        rule = events.describe_rule(Name=forward_rule_name("prod"))
        assert json.loads(rule["EventPattern"]) == SIGNIN_EVENT_PATTERN
        [forward] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert forward["Arn"] == f"arn:aws:events:{target}:123456789012:event-bus/default"
        role_name = forward_role_name("prod", target)
        assert forward["RoleArn"].endswith(f":role/{role_name}")
        document = fake_aws.client("iam").get_role_policy(
            RoleName=role_name, PolicyName="put-events"
        )["PolicyDocument"]
        assert document["Statement"] == [
            {"Effect": "Allow", "Action": "events:PutEvents", "Resource": forward["Arn"]}
        ]
        trust = fake_aws.client("iam").get_role(RoleName=role_name)["Role"]
        [trusted] = trust["AssumeRolePolicyDocument"]["Statement"]
        assert trusted["Principal"] == {"Service": "events.amazonaws.com"}
        assert trusted["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        assert f"{source}: sign-ins forwarded to {target}" in rehearsal.first.output
    for region in REGIONS:
        rules = fake_aws.client("events", region).list_rules()["Rules"]
        assert forward_rule_name("prod") not in {rule["Name"] for rule in rules}


def test_second_run_changes_nothing(rehearsal: Rehearsal) -> None:
    assert rehearsal.second.exit_code == 0, rehearsal.second.output
    assert "0 change(s) besides chalice deploy" in rehearsal.second.output
    assert rehearsal.after_second == rehearsal.before_second
    assert "change(s) besides chalice deploy:" in rehearsal.first.output


def test_deploy_state_stays_in_the_copy_not_the_repository(rehearsal: Rehearsal) -> None:
    assert (rehearsal.project / ".chalice" / "deployed" / "prod-us-west-2.json").exists()


def created_for(aws: FakeAws, env: str) -> list[str]:
    """The IAM roles and Lambda functions of an env's stages, in both regions."""
    prefix = f"signin-alerts-{env}-"
    roles = [r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]]
    functions = [
        f["FunctionName"]
        for region in REGIONS
        for f in aws.client("lambda", region).list_functions()["Functions"]
    ]
    return [name for name in roles + functions if name.startswith(prefix)]


def test_missing_secrets_stop_the_deploy_before_anything_is_built(
    fake_aws: FakeAws, tmp_path: Path
) -> None:
    project = copy_project(tmp_path)

    run = run_manage("deploy", "--env", "dev", "--project-dir", str(project))

    assert run.exit_code == 2
    assert (
        "dev-us-west-2: SSM parameter /signin-alerts/dev/slack-webhook-url (webhook url) is "
        "missing in us-west-2; fix: python manage.py secrets --env dev" in run.err
    )
    assert "refused before creating anything" in run.err
    assert "Traceback" not in run.output
    assert created_for(fake_aws, "dev") == []


REFUSALS = {
    # case: (what is wrong, as settings and SSM values; words of the refusal)
    "no team id": ({}, WEBHOOK, "no SLACK_TEAM_ID"),
    "webhook without https": (
        {"SLACK_TEAM_ID": TEAM_ID},
        WEBHOOK.removeprefix("https://"),
        "(webhook url) is not an https URL",
    ),
    "bot token without channel": (
        {"SLACK_TEAM_ID": TEAM_ID, "SLACK_BOT_TOKEN": BOT_TOKEN},
        WEBHOOK,
        "without SLACK_CHANNEL",
    ),
    "stale policy file": (
        {"SLACK_TEAM_ID": TEAM_ID, "LEDGER_TABLE": "another-ledger"},
        WEBHOOK,
        "policy-dev-us-east-1.json is out of date",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal_of_check_creates_nothing(
    fake_aws: FakeAws, tmp_path: Path, case: str
) -> None:
    """Secrets written by hand (as before `manage.py secrets`), under names of this
    case's own, and a trail: each refusal stops the deploy before any role or function."""
    settings, webhook, words = REFUSALS[case]
    project = copy_project(tmp_path)
    prefix = f"/signin-alerts/refusal-{case.replace(' ', '-')}"

    def edit(config: dict[str, Any]) -> None:
        for region in REGIONS:
            config["stages"][f"dev-{region}"]["environment_variables"].update(
                SLACK_WEBHOOK_URL_PARAM=f"{prefix}/webhook",
                SLACK_SIGNING_SECRET_PARAM=f"{prefix}/signing",
            )
        config["environment_variables"].update(settings)

    edit_config(project, edit)
    if "policy" not in case:
        assert run_manage("policies", "--project-dir", str(project)).exit_code == 0
    for region in REGIONS:
        ssm = fake_aws.client("ssm", region)
        for name, value in (("webhook", webhook), ("signing", SIGNING_SECRET)):
            ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString")
    add_trail(fake_aws.client)

    run = run_manage("deploy", "--env", "dev", "--project-dir", str(project))

    assert run.exit_code == 2, run.output
    assert words in run.err
    assert "refused before creating anything" in run.err
    assert created_for(fake_aws, "dev") == []


def test_a_region_without_a_stage_is_refused_by_name(fake_aws: FakeAws, tmp_path: Path) -> None:
    project = copy_project(tmp_path)

    run = run_manage(
        "deploy", "--env", "prod", "--regions", "eu-west-1", "--project-dir", str(project)
    )

    assert run.exit_code == 2
    assert run.err.count("\n") == 1
    assert "no stage prod-eu-west-1" in run.err


def test_a_partial_deploy_never_forwards_from_a_region_with_its_own_stage(
    rehearsal: Rehearsal, fake_aws: FakeAws
) -> None:
    run = run_manage(
        "deploy",
        "--env",
        "prod",
        "--regions",
        "us-east-1",
        "--forward-from",
        "us-west-2,ca-central-1",
        "--project-dir",
        str(rehearsal.project),
    )

    assert run.exit_code == 0, run.output
    west_rules = {r["Name"] for r in fake_aws.client("events", "us-west-2").list_rules()["Rules"]}
    assert forward_rule_name("prod") not in west_rules
    [target] = fake_aws.client("events", "ca-central-1").list_targets_by_rule(
        Rule=forward_rule_name("prod")
    )["Targets"]
    assert target["Arn"] == "arn:aws:events:us-east-1:123456789012:event-bus/default"


@pytest.mark.parametrize("region", REGIONS)
def test_alarms_reach_one_topic_per_stage_with_an_email_subscription(
    rehearsal: Rehearsal, fake_aws: FakeAws, region: str
) -> None:
    prefix = stage_prefix(region)
    sns = fake_aws.client("sns", region)
    [topic] = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert topic.endswith(f":{prefix}-alarms")
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", ALARM_EMAIL)

    alarms = {
        alarm["AlarmName"]: alarm
        for alarm in fake_aws.client("cloudwatch", region).describe_alarms()["MetricAlarms"]
    }
    watched = {
        name.removeprefix(f"{prefix}-"): (
            alarm["Namespace"],
            alarm["MetricName"],
            alarm["Dimensions"][0]["Value"],
        )
        for name, alarm in alarms.items()
    }
    assert watched == {
        "signin-errors": ("AWS/Lambda", "Errors", f"{prefix}-console_signin"),
        "watchdog-errors": ("AWS/Lambda", "Errors", f"{prefix}-watchdog"),
        "undelivered": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", f"{prefix}-undelivered"),
        "rule-failed-invocations": (
            "AWS/Events",
            "FailedInvocations",
            f"{prefix}-console_signin-event",
        ),
        "watchdog-silent": ("AWS/Lambda", "Invocations", f"{prefix}-watchdog"),
        "change-errors": ("AWS/Lambda", "Errors", f"{prefix}-account_change"),
        "change-rule-failed-invocations": (
            "AWS/Events",
            "FailedInvocations",
            f"{prefix}-account_change-event",
        ),
    }
    assert all(alarm["AlarmActions"] == [topic] for alarm in alarms.values())
    silent = alarms[f"{prefix}-watchdog-silent"]
    assert silent["TreatMissingData"] == "breaching"
    assert silent["Period"] * silent["EvaluationPeriods"] == 2 * 3600
    assert silent["ComparisonOperator"] == "LessThanThreshold"


@pytest.mark.parametrize("region", REGIONS)
def test_the_watchdog_runs_hourly_in_each_region(
    rehearsal: Rehearsal, fake_aws: FakeAws, region: str
) -> None:
    events = fake_aws.client("events", region)
    rule = events.describe_rule(Name=f"{stage_prefix(region)}-watchdog-event")
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"].endswith(f":function:{stage_prefix(region)}-watchdog")


@pytest.mark.parametrize("region", REGIONS)
def test_a_flood_of_requests_cannot_take_the_signin_functions_capacity(
    rehearsal: Rehearsal, fake_aws: FakeAws, region: str
) -> None:
    config = json.loads((rehearsal.project / ".chalice" / "config.json").read_text())
    reserved = config["lambda_functions"]
    lam = fake_aws.client("lambda", region)
    signin = lam.get_function_concurrency(FunctionName=f"{stage_prefix(region)}-console_signin")
    api = lam.get_function_concurrency(FunctionName=stage_prefix(region))
    assert (
        signin["ReservedConcurrentExecutions"] == reserved["console_signin"]["reserved_concurrency"]
    )
    assert api["ReservedConcurrentExecutions"] == reserved["api_handler"]["reserved_concurrency"]

    apigateway = fake_aws.client("apigateway", region)
    [rest_api] = apigateway.get_rest_apis()["items"]
    stage = apigateway.get_stage(restApiId=rest_api["id"], stageName="api")
    throttle = stage["methodSettings"]["*/*"]
    defaults = Settings()
    assert throttle["throttlingRateLimit"] == defaults.api_throttle_rate
    assert throttle["throttlingBurstLimit"] == defaults.api_throttle_burst
