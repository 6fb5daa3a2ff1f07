"""GIVEN a deployed stage on moto (trail, rules, queue, secrets) and the local Slack sink
WHEN the hourly watchdog runs THEN a healthy stage posts nothing, each fault posts one
HIGH warning naming its region and its fix, a reminder only after the reminder interval,
"resolved" once fixed, and two runs at once post once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from chalice.test import Client

import app as app_module
from chalicelib.container import Container
from chalicelib.judge.rules import evaluate
from chalicelib.signin.parse import parse_signin
from chalicelib.signin.pattern import ACCOUNT_CHANGE_PATTERN, SIGNIN_EVENT_PATTERN
from chalicelib.watchdog.findings import Check
from chalicelib.watchdog.pipeline import trail_finding
from chalicelib.watchdog.run import CheckSpec, Watchdog, WatchdogFailed
from chalicelib.watchdog.state import WatchdogState
from chalicelib.watchdog.wiring import run_watchdog
from localdev.atomic_moto import atomic_moto
from localdev.signins import Login
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import TABLE
from tools.deploy import DeployReport, forward, record_forwarded
from tools.forwarding import forward_rule_name

ACCOUNT = "123456789012"
STAGE = "prod-us-east-1"
REGION = "us-east-1"
FORWARDED = "us-east-2"
PREFIX = f"signin-alerts-{STAGE}"
RULE = f"{PREFIX}-console_signin-event"
QUEUE = f"{PREFIX}-undelivered"
WEBHOOK_PARAM = "/signin-alerts/prod/slack-webhook-url"
SIGNING_PARAM = "/signin-alerts/prod/slack-signing-secret"
TOKEN_PARAM = "/signin-alerts/prod/slack-bot-token"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CONTEXT = SimpleNamespace(
    invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-watchdog"
)


@dataclass
class Stage:
    sink: SlackSink
    env: dict[str, str]
    now: datetime = START
    container: Container = field(init=False)

    def __post_init__(self) -> None:
        self.reconfigure()

    def reconfigure(self, **settings: str) -> None:
        self.env.update(settings)
        self.container = Container(self.env)

    def run(self, *, container: Container | None = None) -> dict[str, Any]:
        return run_watchdog(
            container or self.container, CONTEXT, deadline=_far(), clock=lambda: self.now
        )

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def messages_since(self, count: int) -> list[str]:
        return [json.dumps(message) for message in self.sink.messages[count:]]


def _far() -> float:
    import time

    return time.monotonic() + 30


def _client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def build_stage(sink: SlackSink) -> None:
    """What `manage.py deploy --env prod --forward-from us-east-2` leaves in us-east-1."""
    ssm = _client("ssm")
    ssm.put_parameter(Name=WEBHOOK_PARAM, Value=sink.webhook_url, Type="SecureString")
    # A signing secret as Slack makes them: once read, its text is redacted from every
    # later log line of the process, so a word such as "secret" would blank that word.
    signing = "8f742231b10e8888abcd99yyyzzz85a5"
    ssm.put_parameter(Name=SIGNING_PARAM, Value=signing, Type="SecureString")
    ssm.put_parameter(Name=TOKEN_PARAM, Value="xoxb-sink", Type="SecureString")
    _client("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = _client("cloudtrail")
    cloudtrail.create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="org-trail")
    events = _client("events")
    events.put_rule(Name=RULE, EventPattern=json.dumps(SIGNIN_EVENT_PATTERN), State="ENABLED")
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-console_signin"
    events.put_targets(Rule=RULE, Targets=[{"Id": "1", "Arn": function}])
    change_rule = f"{PREFIX}-account_change-event"
    events.put_rule(
        Name=change_rule, EventPattern=json.dumps(ACCOUNT_CHANGE_PATTERN), State="ENABLED"
    )
    change_function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-account_change"
    events.put_targets(Rule=change_rule, Targets=[{"Id": "1", "Arn": change_function}])
    _client("sqs").create_queue(QueueName=QUEUE)
    session = boto3.session.Session()
    report = DeployReport()
    forward(session, "prod", [FORWARDED], [REGION, "us-west-2"], report)
    from tools.stages import Stage as ToolStage

    home = ToolStage(STAGE, "prod", REGION, {"LEDGER_TABLE": TABLE}, "")
    record_forwarded(session, [home], report, [REGION, "us-west-2"])


def seed_signin(container: Container, at: datetime) -> None:
    signin = parse_signin(Login("wd-1", at, region=REGION).record(), received_at=at)
    container.ledger.record(signin, evaluate(signin, container.settings))


@pytest.fixture
def stage(dynamodb: Any, slack_sink: SlackSink) -> Iterator[Stage]:
    build_stage(slack_sink)
    env = {
        "LEDGER_TABLE": TABLE,
        "AWS_REGION": REGION,
        "STAGE_REGION": REGION,
        "SLACK_WEBHOOK_URL_PARAM": WEBHOOK_PARAM,
        "SLACK_SIGNING_SECRET_PARAM": SIGNING_PARAM,
        "SLACK_TIMEOUT_SECONDS": "2",
        "SLACK_MAX_ATTEMPTS": "1",
        "SLACK_MIN_INTERVAL_SECONDS": "0.01",
    }
    built = Stage(slack_sink, env)
    seed_signin(built.container, START - timedelta(days=2))
    yield built


# -- faults and their fixes --------------------------------------------------------------


def stop_trail(stage: Stage) -> None:
    _client("cloudtrail").stop_logging(Name="org-trail")


def start_trail(stage: Stage) -> None:
    _client("cloudtrail").start_logging(Name="org-trail")


def disable_rule(stage: Stage) -> None:
    _client("events").disable_rule(Name=RULE)


def enable_rule(stage: Stage) -> None:
    _client("events").enable_rule(Name=RULE)


def disable_change_rule(stage: Stage) -> None:
    _client("events").disable_rule(Name=f"{PREFIX}-account_change-event")


def enable_change_rule(stage: Stage) -> None:
    _client("events").enable_rule(Name=f"{PREFIX}-account_change-event")


def delete_forwarding(stage: Stage) -> None:
    events = _client("events", FORWARDED)
    events.remove_targets(Rule=forward_rule_name("prod"), Ids=["forward-signins"])
    events.delete_rule(Name=forward_rule_name("prod"))


def delete_change_forwarding(stage: Stage) -> None:
    """Only the account changes' rule (issue 23): its AssumeRoot records go unseen."""
    events = _client("events", FORWARDED)
    events.remove_targets(Rule=forward_rule_name("prod", "changes"), Ids=["forward-changes"])
    events.delete_rule(Name=forward_rule_name("prod", "changes"))


def restore_forwarding(stage: Stage) -> None:
    forward(boto3.session.Session(), "prod", [FORWARDED], [REGION], DeployReport())


def _queue_url() -> str:
    url: str = _client("sqs").get_queue_url(QueueName=QUEUE)["QueueUrl"]
    return url


def park_on_failure_record(stage: Stage) -> None:
    """What Lambda's on-failure destination sends after its retries."""
    body = {"requestContext": {"condition": "RetriesExhausted"}, "requestPayload": {"id": "e"}}
    _client("sqs").send_message(QueueUrl=_queue_url(), MessageBody=json.dumps(body))


def park_dead_letter(stage: Stage) -> None:
    """What the rule's dead-letter queue gets: the event itself."""
    body = {"source": "aws.signin", "detail": {"eventID": "e2"}}
    _client("sqs").send_message(QueueUrl=_queue_url(), MessageBody=json.dumps(body))


def empty_queue(stage: Stage) -> None:
    _client("sqs").purge_queue(QueueUrl=_queue_url())


def revoke_token(stage: Stage) -> None:
    stage.sink.auth_error = "invalid_auth"


def restore_token(stage: Stage) -> None:
    stage.sink.auth_error = ""


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: Callable[[Stage], None]
    fixes: Callable[[Stage], None]
    region: str
    fix: str
    bot_token: bool = False


FAULTS = [
    Fault(
        "stopped trail",
        stop_trail,
        start_trail,
        REGION,
        "aws cloudtrail start-logging --region us-east-1 --name org-trail",
    ),
    Fault(
        "disabled rule",
        disable_rule,
        enable_rule,
        REGION,
        f"aws events enable-rule --region us-east-1 --name {RULE}",
    ),
    Fault(
        "disabled account-change rule",
        disable_change_rule,
        enable_change_rule,
        REGION,
        f"aws events enable-rule --region us-east-1 --name {PREFIX}-account_change-event",
    ),
    Fault(
        "deleted forwarding rule",
        delete_forwarding,
        restore_forwarding,
        FORWARDED,
        "python manage.py deploy --env prod --forward-from us-east-2",
    ),
    Fault(
        "deleted account-change forwarding rule",
        delete_change_forwarding,
        restore_forwarding,
        FORWARDED,
        "python manage.py deploy --env prod --forward-from us-east-2",
    ),
    Fault(
        "on-failure record in the queue",
        park_on_failure_record,
        empty_queue,
        REGION,
        "python manage.py redrive --env prod --regions us-east-1",
    ),
    Fault(
        "dead letter in the queue",
        park_dead_letter,
        empty_queue,
        REGION,
        "python manage.py redrive --env prod --regions us-east-1",
    ),
    Fault(
        "revoked bot token",
        revoke_token,
        restore_token,
        REGION,
        f"--name {TOKEN_PARAM}",
        bot_token=True,
    ),
]


def use_bot_token(stage: Stage) -> None:
    stage.env.pop("SLACK_WEBHOOK_URL_PARAM")
    stage.reconfigure(
        SLACK_BOT_TOKEN_PARAM=TOKEN_PARAM, SLACK_CHANNEL="C0SEC", SLACK_API_URL=stage.sink.api_url
    )


def run_once(stage: Stage, *, raises: bool) -> dict[str, Any] | None:
    if raises:
        with pytest.raises(WatchdogFailed):
            stage.run()
        return None
    return stage.run()


@pytest.mark.parametrize("bot_token", [False, True], ids=["webhook", "bot token"])
def test_a_healthy_stage_posts_nothing(stage: Stage, bot_token: bool) -> None:
    if bot_token:
        use_bot_token(stage)

    report = stage.run()

    assert stage.sink.messages == []
    assert report["problems"] == [] and report["hints"] == []
    assert len(stage.sink.auth_checks) == (1 if bot_token else 0)
    stage.later(hours=25)
    assert stage.run()["posted"] == []


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_each_fault_warns_once_reminds_after_a_day_and_resolves_once(
    stage: Stage, fault: Fault
) -> None:
    if fault.bot_token:
        use_bot_token(stage)
    fault.breaks(stage)

    # A broken Slack credential fails the run (the Errors alarm e-mails the operator).
    run_once(stage, raises=fault.bot_token)
    [warning] = stage.messages_since(0)
    assert "HIGH" in json.loads(warning)["text"]
    assert fault.region in json.loads(warning)["text"]
    assert fault.fix in warning

    for hours in (1, 12, 23.9):  # quiet while it lasts, until the reminder is due
        stage.now = START + timedelta(hours=hours)
        run_once(stage, raises=fault.bot_token)
    assert len(stage.sink.messages) == 1

    stage.now = START + timedelta(hours=24)
    run_once(stage, raises=fault.bot_token)
    [reminder] = stage.messages_since(1)
    assert "still broken after 24 h" in json.loads(reminder)["text"]
    assert fault.fix in reminder

    fault.fixes(stage)
    stage.later(hours=1)
    stage.run()
    [resolved] = stage.messages_since(2)
    assert "resolved" in json.loads(resolved)["text"]
    assert fault.region in json.loads(resolved)["text"]
    stage.later(hours=30)
    stage.run()
    assert len(stage.sink.messages) == 3


def test_the_queue_warning_says_how_many_and_how_old(stage: Stage) -> None:
    park_on_failure_record(stage)
    park_dead_letter(stage)
    stage.now = datetime.now(UTC) + timedelta(hours=3)  # SQS stamps real time

    stage.run()

    [warning] = stage.sink.messages
    assert f"2 undelivered sign-in alerts in {QUEUE}, the oldest 3 h old" in warning["text"]


def test_reminders_follow_a_decimal_interval(stage: Stage) -> None:
    stage.reconfigure(WATCHDOG_REMIND_HOURS="0.5")
    stop_trail(stage)
    stage.run()
    stage.later(minutes=29)
    stage.run()
    assert len(stage.sink.messages) == 1
    stage.later(minutes=1)
    stage.run()
    assert len(stage.sink.messages) == 2


class LoadThenWait:
    """A DynamoDB client whose state reads (Query on a partition key) wait until every
    run has read: both runs then decide on the same state, as when they overlap."""

    def __init__(self, client: Any, barrier: threading.Barrier) -> None:
        self._client = client
        self._barrier = barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def query(self, **arguments: Any) -> Any:
        response = self._client.query(**arguments)
        if arguments.get("KeyConditionExpression") == "pk = :pk":
            self._barrier.wait(timeout=10)
        return response


@pytest.mark.parametrize("change", ["new problem", "resolved"])
def test_two_runs_at_once_post_once(stage: Stage, change: str) -> None:
    stop_trail(stage)
    if change == "resolved":
        stage.run()
        start_trail(stage)
    before = len(stage.sink.messages)
    barrier = threading.Barrier(2)
    containers = [Container(stage.env) for _ in range(2)]
    for container in containers:
        container.dynamodb = LoadThenWait(container.dynamodb, barrier)  # type: ignore[misc]
    reports: list[dict[str, Any]] = []

    def run(container: Container) -> None:
        reports.append(stage.run(container=container))

    with atomic_moto():
        threads = [threading.Thread(target=run, args=(c,)) for c in containers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert len(reports) == 2
    assert len(stage.sink.messages) == before + 1
    assert sorted(len(report["posted"]) for report in reports) == [0, 1]


def test_a_message_slack_refuses_is_posted_by_the_next_run(stage: Stage) -> None:
    stop_trail(stage)
    stage.sink.then(Reply(500, "down"))

    with pytest.raises(WatchdogFailed, match="new trail"):
        stage.run()
    assert stage.sink.messages == []

    stage.later(hours=1)
    stage.run()
    [warning] = stage.sink.messages
    assert warning["text"].startswith("HIGH: signin-alerts in us-east-1: trail org-trail")


def test_a_check_that_cannot_run_is_a_problem(stage: Stage) -> None:
    """A missing permission must never read as health."""
    cloudtrail = _client("cloudtrail")
    stubber = Stubber(cloudtrail)
    stubber.add_client_error("describe_trails", "AccessDeniedException", http_status_code=403)
    posted: list[dict[str, Any]] = []
    watchdog = Watchdog(
        stage=STAGE,
        state=WatchdogState(stage.container.dynamodb, TABLE),
        post=posted.append,
        clock=lambda: stage.now,
        remind_after=timedelta(hours=24),
    )
    clients = lambda service, region: cloudtrail  # noqa: E731

    with stubber:
        report = watchdog.run(
            [CheckSpec(Check.TRAIL, REGION, lambda: trail_finding(clients, REGION))]
        )

    assert report.to_dict()["problems"] == ["trail"]
    [warning] = posted
    assert "the trail check could not run in us-east-1: AccessDeniedException" in warning["text"]


def test_a_quiet_region_is_a_hint_said_once(stage: Stage) -> None:
    stage.later(days=40)  # the seeded sign-in is now 42 days old

    stage.run()
    stage.later(days=2)
    stage.run()

    [hint] = stage.sink.messages
    assert hint["text"].startswith("INFO: signin-alerts hint for us-east-1: no sign-in recorded")


def test_the_scheduled_handler_runs_the_watchdog_unless_disabled(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_signin(stage.container, datetime.now(UTC))
    monkeypatch.setattr(app_module, "container", Container({**stage.env, "WATCHDOG_STAGE": STAGE}))
    with Client(app_module.app) as client:
        event = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        healthy = client.lambda_.invoke("watchdog", event).payload
        disable_rule(stage)
        broken = client.lambda_.invoke("watchdog", event).payload
        monkeypatch.setattr(
            app_module, "container", Container({**stage.env, "WATCHDOG_ENABLED": "false"})
        )
        disabled = client.lambda_.invoke("watchdog", event).payload

    assert healthy["watchdog"] == STAGE and healthy["problems"] == []
    assert broken["problems"] == ["signin_rule"]
    assert disabled == {"watchdog": "disabled"}
    assert len(stage.sink.messages) == 1
