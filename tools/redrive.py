"""`manage.py redrive --env prod`: deliver the alerts parked in each stage's
undelivered queue, once Slack is back.

The queue holds two shapes: Lambda's on-failure records (the original event under
`requestPayload`, after Lambda's own retries) and EventBridge dead letters (the event
itself, when the function could not be invoked at all). Each is handled by the same
pipeline as in Lambda, built from the stage's own settings, so the ledger's claim on the
eventID keeps it exactly-once: an alert posted meanwhile is a duplicate, not a second
post. A message is deleted only once its event is posted or known to need no post.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.alerting.values import ClaimHeld, CommitContended, Disposition
from chalicelib.container import Container
from chalicelib.slack.delivery import DeliveryFailed
from tools.cli import add_env_options, session
from tools.stages import Stage, env_stages

# Time a redriven alert may spend on Slack retries, as a Lambda invocation would have.
DEADLINE_SECONDS = 60
VISIBILITY_SECONDS = 120
DONE = {Disposition.POSTED, Disposition.DUPLICATE, Disposition.NOT_ALERTED}


@dataclass
class Redriven:
    stage: str
    outcomes: dict[str, int] = field(default_factory=dict)
    left: int = 0  # still in the queue
    problems: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def original_event(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The sign-in event inside a queued message, whichever service parked it."""
    payload = body.get("requestPayload")
    return payload if isinstance(payload, Mapping) else body


def stage_container(stage: Stage) -> Container:
    """The stage's pipeline as its Lambda builds it, for the stage's region."""
    return Container({**stage.environment, "AWS_REGION": stage.region})


def redrive_stage(session: Any, stage: Stage, container: Container | None = None) -> Redriven:
    result = Redriven(stage.name)
    sqs = session.client("sqs", region_name=stage.region)
    try:
        url = sqs.get_queue_url(QueueName=stage.failure_queue)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        result.problems.append(f"no queue {stage.failure_queue} in {stage.region}: not deployed?")
        return result
    alerter = (container or stage_container(stage)).alerter
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        fresh = [message for message in messages if message["MessageId"] not in seen]
        if not fresh:
            break
        for index, message in enumerate(fresh):
            seen.add(message["MessageId"])
            try:
                event = original_event(json.loads(message["Body"]))
            except (ValueError, AttributeError):
                result.problems.append(f"message {message['MessageId']}: not a JSON event, kept")
                result.left += 1
                continue
            try:
                handled = alerter.handle(event, deadline=time.monotonic() + DEADLINE_SECONDS)
            except DeliveryFailed as failure:
                result.problems.append(f"Slack still failing ({failure.reason}); stopped")
                return _stop(sqs, url, fresh[index:], result)
            except (ClaimHeld, CommitContended) as busy:  # another invocation is on it
                result.count("busy")
                result.problems.append(f"kept for later: {busy}")
                result.left += 1
                continue
            result.count(handled.outcome.value)
            if handled.outcome in DONE:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                result.left += 1
    return result


def _stop(sqs: Any, url: str, unhandled: list[dict[str, Any]], result: Redriven) -> Redriven:
    """Give the batch's unhandled messages back at once, and count what is left."""
    for message in unhandled:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    result.left += int(attributes.get("ApproximateNumberOfMessages", 0))
    return result


def register(commands: Any) -> None:
    parser = commands.add_parser("redrive", help="deliver alerts parked in the undelivered queues")
    add_env_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    aws = session()
    failed = False
    for stage in env_stages(args.env, args.regions, args.project_dir):
        result = redrive_stage(aws, stage)
        counts = ", ".join(f"{n} {o}" for o, n in sorted(result.outcomes.items())) or "nothing"
        print(f"{stage.name}: {counts}; {result.left} left in the queue")
        for problem in result.problems:
            print(f"  {problem}")
        failed = failed or result.left > 0 or bool(result.problems)
    return 1 if failed else 0
