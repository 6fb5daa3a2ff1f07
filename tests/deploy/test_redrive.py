"""GIVEN alerts parked in a stage's undelivered queue (Lambda on-failure records and
EventBridge dead letters) WHEN `manage.py redrive` runs THEN each alert reaches Slack
once, and a message leaves the queue only when its alert is safe."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from typing import Any

import boto3
import pytest

import manage
from chalicelib.container import Container
from chalicelib.slack.delivery import DeliveryFailed
from chalicelib.store.provision import create_ledger_table
from chalicelib.store.schema import event_key
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import load_event
from tools.redrive import redrive_stage
from tools.stages import Stage, load_stages

STAGE = "prod-us-west-2"


def on_failure_record(event: dict[str, Any]) -> dict[str, Any]:
    """What Lambda sends to the on-failure destination after its retries."""
    return {
        "version": "1.0",
        "timestamp": "2026-11-27T01:00:00.000Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:us-west-2:123456789012:function:"
            "signin-alerts-prod-us-west-2-console_signin:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Slack delivery failed after 5 attempt(s): 500"},
    }


@pytest.fixture
def stage(aws: None, slack_sink: SlackSink) -> Stage:
    stage = load_stages()[STAGE]
    create_ledger_table(
        boto3.client("dynamodb", region_name=stage.ledger_region), stage.ledger_table
    )
    ssm = boto3.client("ssm", region_name=stage.region)
    for name in stage.secret_parameters.values():
        ssm.put_parameter(Name=name, Value=slack_sink.webhook_url, Type="SecureString")
    return stage


@pytest.fixture
def queue(stage: Stage) -> Any:
    sqs = boto3.client("sqs", region_name=stage.region)
    url = sqs.create_queue(QueueName=stage.failure_queue)["QueueUrl"]

    class Queue:
        def send(self, body: dict[str, Any]) -> None:
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

        def depth(self) -> int:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            values = attributes["Attributes"]
            return int(values["ApproximateNumberOfMessages"]) + int(
                values["ApproximateNumberOfMessagesNotVisible"]
            )

    return Queue()


def failed_in_lambda(stage: Stage, slack_sink: SlackSink, event: dict[str, Any]) -> None:
    """The Lambda's own run: Slack fails, the handler raises, the ledger keeps it pending."""
    slack_sink.then(Reply(500, "down"))
    container = Container(
        {**stage.environment, "AWS_REGION": stage.region, "SLACK_MAX_ATTEMPTS": "1"}
    )
    with pytest.raises(DeliveryFailed):
        container.alerter.handle(event, deadline=float("inf"))


def alert_status(stage: Stage, event: dict[str, Any]) -> str:
    dynamodb = boto3.client("dynamodb", region_name=stage.ledger_region)
    item = dynamodb.get_item(
        TableName=stage.ledger_table, Key=event_key(event["detail"]["eventID"])
    )
    status: str = item["Item"]["alert_status"]["S"]
    return status


def run_redrive() -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = manage.main(["redrive", "--env", "prod", "--regions", "us-west-2"])
    return code, output.getvalue()


def test_parked_alerts_reach_slack_once_when_it_is_back(
    stage: Stage, queue: Any, slack_sink: SlackSink
) -> None:
    failed = load_event("root_success_no_mfa.json")
    failed_in_lambda(stage, slack_sink, failed)
    never_invoked = load_event("iam_user_failure.json")  # EventBridge could not invoke
    queue.send(on_failure_record(failed))
    queue.send(never_invoked)
    queue.send(on_failure_record(copy.deepcopy(failed)))  # parked twice: posts once
    posts_before = len(slack_sink.messages)

    code, output = run_redrive()

    assert code == 0, output
    texts = [message["text"] for message in slack_sink.messages[posts_before:]]
    assert len(texts) == 2
    assert any(text.startswith("CRITICAL: Root console sign-in succeeded") for text in texts)
    assert queue.depth() == 0
    assert alert_status(stage, failed) == alert_status(stage, never_invoked) == "sent"
    assert "2 posted" in output and "1 duplicate" in output and "0 left" in output


def test_while_slack_is_still_down_nothing_leaves_the_queue(
    stage: Stage, queue: Any, slack_sink: SlackSink
) -> None:
    failed = load_event("root_failure.json")
    failed_in_lambda(stage, slack_sink, failed)
    queue.send(on_failure_record(failed))
    queue.send(load_event("iam_user_success_no_mfa.json"))
    slack_sink.then(Reply(503, "still down"))
    container = Container(
        {**stage.environment, "AWS_REGION": stage.region, "SLACK_MAX_ATTEMPTS": "1"}
    )

    result = redrive_stage(boto3.session.Session(), stage, container)

    assert result.left == 2
    assert any("Slack still failing" in problem for problem in result.problems)
    assert queue.depth() == 2
    assert alert_status(stage, failed) == "pending"


def test_redrive_without_a_deployed_queue_says_so(stage: Stage) -> None:
    code, output = run_redrive()

    assert code == 1
    assert "no queue signin-alerts-prod-us-west-2-undelivered in us-west-2" in output
