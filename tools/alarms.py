"""CloudWatch alarms that reach the operator even when Slack is what broke.

One SNS topic per stage (e-mail subscription when `ALARM_EMAIL` is set) and five
alarms on it: the sign-in function's errors, the watchdog's errors, alerts parked in
the undelivered queue (Lambda's on-failure destination and the rule's dead-letter
queue are that one queue), the rule's failed invocations, and a watchdog that has not
run for two hours. Idempotent like tools/hardening.py: read, compare, write if needed.
The SAM template (.chalice/sam-merge.json) declares the same alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.stages import Stage

WATCHDOG_SILENT_HOURS = 2


@dataclass(frozen=True)
class AlarmSpec:
    suffix: str
    description: str
    namespace: str
    metric: str
    dimension: tuple[str, str]
    statistic: str
    comparison: str
    threshold: float = 1.0
    period: int = 300
    evaluation_periods: int = 1
    missing: str = "notBreaching"

    def name(self, stage: Stage) -> str:
        return f"{stage.function_prefix}-{self.suffix}"


def topic_name(stage: Stage) -> str:
    return f"{stage.function_prefix}-alarms"


def alarm_specs(stage: Stage, rule_name: str, change_rule: str = "") -> list[AlarmSpec]:
    """`change_rule`: the account_change function's rule (Chalice's name by default)."""
    signin = f"{stage.function_prefix}-console_signin"
    change = f"{stage.function_prefix}-account_change"
    change_rule = change_rule or f"{change}-event"
    watchdog = f"{stage.function_prefix}-watchdog"
    at_least = "GreaterThanOrEqualToThreshold"
    return [
        AlarmSpec(
            "signin-errors",
            "console_signin failed: alerts wait for Lambda's retries, then the undelivered "
            "queue. See README: When signin-alerts itself breaks.",
            "AWS/Lambda", "Errors", ("FunctionName", signin), "Sum", at_least,
        ),
        AlarmSpec(
            "watchdog-errors",
            "The watchdog failed, e.g. Slack rejects the credentials: nothing may reach "
            "Slack. See the watchdog function's log.",
            "AWS/Lambda", "Errors", ("FunctionName", watchdog), "Sum", at_least,
        ),
        AlarmSpec(
            "undelivered",
            "Sign-in alerts are parked in the undelivered queue: "
            f"python manage.py redrive --env {stage.env} --regions {stage.region}",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            ("QueueName", stage.failure_queue), "Maximum", at_least,
        ),
        AlarmSpec(
            "rule-failed-invocations",
            "EventBridge could not invoke console_signin (throttled or missing); events "
            "go to the dead-letter queue after its retries.",
            "AWS/Events", "FailedInvocations", ("RuleName", rule_name), "Sum", at_least,
        ),
        AlarmSpec(
            "change-errors",
            "account_change failed: alerts wait for Lambda's retries, then the undelivered "
            "queue. See README: When signin-alerts itself breaks.",
            "AWS/Lambda", "Errors", ("FunctionName", change), "Sum", at_least,
        ),
        AlarmSpec(
            "change-rule-failed-invocations",
            "EventBridge could not invoke account_change (throttled or missing); events "
            "go to the dead-letter queue after its retries.",
            "AWS/Events", "FailedInvocations", ("RuleName", change_rule), "Sum", at_least,
        ),
        AlarmSpec(
            "watchdog-silent",
            f"The watchdog has not run for {WATCHDOG_SILENT_HOURS} hours: nobody is "
            "checking the pipeline.",
            "AWS/Lambda", "Invocations", ("FunctionName", watchdog), "Sum",
            "LessThanThreshold", period=3600, evaluation_periods=WATCHDOG_SILENT_HOURS,
            missing="breaching",
        ),
    ]  # fmt: skip


def ensure_topic(sns: Any, stage: Stage, email: str | None, changes: list[str]) -> str:
    name = topic_name(stage)
    existing = [
        topic["TopicArn"]
        for page in sns.get_paginator("list_topics").paginate()
        for topic in page["Topics"]
        if topic["TopicArn"].rsplit(":", 1)[-1] == name
    ]
    if existing:
        arn: str = existing[0]
    else:
        arn = sns.create_topic(Name=name)["TopicArn"]
        changes.append(f"created alarm topic {name}")
    if email:
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        if not any(s["Protocol"] == "email" and s["Endpoint"] == email for s in subscriptions):
            sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email)
            changes.append(f"alarm topic {name}: e-mail {email} (confirm the e-mail AWS sends)")
    return arn


def _wanted(spec: AlarmSpec, stage: Stage, topic_arn: str) -> dict[str, Any]:
    return {
        "AlarmName": spec.name(stage),
        "AlarmDescription": spec.description,
        "ActionsEnabled": True,
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn],
        "Namespace": spec.namespace,
        "MetricName": spec.metric,
        "Dimensions": [{"Name": spec.dimension[0], "Value": spec.dimension[1]}],
        "Statistic": spec.statistic,
        "Period": spec.period,
        "EvaluationPeriods": spec.evaluation_periods,
        "Threshold": spec.threshold,
        "ComparisonOperator": spec.comparison,
        "TreatMissingData": spec.missing,
    }


def ensure_alarms(
    cloudwatch: Any, stage: Stage, rule_name: str, topic_arn: str, changes: list[str]
) -> list[str]:
    specs = alarm_specs(stage, rule_name)
    names = [spec.name(stage) for spec in specs]
    current = {
        alarm["AlarmName"]: alarm
        for alarm in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
    }
    for spec in specs:
        wanted = _wanted(spec, stage, topic_arn)
        now = current.get(spec.name(stage), {})
        if any(now.get(key) != value for key, value in wanted.items()):
            cloudwatch.put_metric_alarm(**wanted)
            changes.append(f"alarm {spec.name(stage)}")
    return names
