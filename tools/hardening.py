"""What Chalice cannot configure, applied after each `chalice deploy`, idempotently.

Each `ensure_*` reads the current state first and writes only when it differs, and
returns a description of what it changed (empty: nothing). `chalice deploy` re-puts
the rule's target without RetryPolicy or DeadLetterConfig, so these run after every
deploy, not once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Lambda's async retries of a failed invocation (2 is the most it allows), and how long
# an event may wait for them, before it goes to the on-failure queue.
LAMBDA_MAX_RETRIES = 2
LAMBDA_MAX_EVENT_AGE_SECONDS = 6 * 3600
# EventBridge's retries when it cannot invoke the function at all (throttled, deleted).
RULE_MAX_RETRIES = 185
RULE_MAX_EVENT_AGE_SECONDS = 24 * 3600
QUEUE_ATTRIBUTES = {
    "MessageRetentionPeriod": str(14 * 24 * 3600),  # the most SQS keeps: two weeks to redrive
    "SqsManagedSseEnabled": "true",
    "VisibilityTimeout": "300",
}


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str


def _queue_policy(queue_arn: str, rule_arns: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RuleDeadLetters",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(rule_arns)}},
            }
        ],
    }


def ensure_failure_queue(sqs: Any, name: str, rule_arns: list[str], changes: list[str]) -> Queue:
    """The queue that keeps undelivered sign-ins for `manage.py redrive`."""
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=QUEUE_ATTRIBUTES)["QueueUrl"]
        changes.append(f"created queue {name}")
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    arn = current["QueueArn"]
    policy = _queue_policy(arn, rule_arns)
    different = {key: value for key, value in QUEUE_ATTRIBUTES.items() if current.get(key) != value}
    if json.loads(current.get("Policy") or "{}") != policy:
        different["Policy"] = json.dumps(policy)
    if different:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=different)
        changes.append(f"queue {name}: set {', '.join(sorted(different))}")
    return Queue(url, arn)


def ensure_invoke_config(
    lambda_client: Any, function_arn: str, queue_arn: str, changes: list[str]
) -> None:
    wanted = {
        "MaximumRetryAttempts": LAMBDA_MAX_RETRIES,
        "MaximumEventAgeInSeconds": LAMBDA_MAX_EVENT_AGE_SECONDS,
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn}},
    }
    try:
        current = lambda_client.get_function_event_invoke_config(FunctionName=function_arn)
    except lambda_client.exceptions.ResourceNotFoundException:
        current = {}
    # Compare only what we set (Lambda adds OnSuccess: {} and timestamps).
    if (
        current.get("MaximumRetryAttempts") != LAMBDA_MAX_RETRIES
        or current.get("MaximumEventAgeInSeconds") != LAMBDA_MAX_EVENT_AGE_SECONDS
        or current.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination") != queue_arn
    ):
        lambda_client.put_function_event_invoke_config(FunctionName=function_arn, **wanted)
        changes.append(f"{function_arn.rsplit(':', 1)[-1]}: async retries and on-failure queue")


def ensure_target_hardened(
    events: Any, rule_name: str, target_arn: str, dead_letter_arn: str | None, changes: list[str]
) -> None:
    """Give the rule's target to `target_arn` a RetryPolicy and (if given) a DLQ."""
    targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
    [target] = [target for target in targets if target["Arn"] == target_arn] or [None]
    if target is None:
        raise RuntimeError(f"rule {rule_name} has no target {target_arn}")
    wanted = {
        **target,
        "RetryPolicy": {
            "MaximumRetryAttempts": RULE_MAX_RETRIES,
            "MaximumEventAgeInSeconds": RULE_MAX_EVENT_AGE_SECONDS,
        },
    }
    if dead_letter_arn:
        wanted["DeadLetterConfig"] = {"Arn": dead_letter_arn}
    if wanted != target:
        events.put_targets(Rule=rule_name, Targets=[wanted])
        extra = " and dead-letter queue" if dead_letter_arn else ""
        changes.append(f"rule {rule_name}: target retry policy{extra}")
