"""What the emulator holds for one app, region by region: `make rehearse` prints it, and
the deploy tests compare it before and after `manage.py remove`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clients = Callable[[str, str], Any]  # (service, region) -> boto3 client


@dataclass
class RegionInventory:
    region: str
    functions: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    apis: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.lines())

    def lines(self) -> list[str]:
        kinds = {
            "Lambda functions": self.functions,
            "EventBridge rules": self.rules,
            "SQS queues": self.queues,
            "SNS topics": self.topics,
            "CloudWatch alarms": self.alarms,
            "REST APIs": self.apis,
            "DynamoDB tables": self.tables,
        }
        return [f"{kind}: {', '.join(names)}" for kind, names in kinds.items() if names]


def region_inventory(clients: Clients, region: str, app: str, env: str) -> RegionInventory:
    """Everything of `env` in `region`: named `<app>-<env>-...`, and its ledger table."""
    prefix = f"{app}-{env}"

    def mine(names: list[str]) -> list[str]:
        return sorted(name for name in names if name.startswith(prefix))

    lam, events, sqs, sns = (clients(s, region) for s in ("lambda", "events", "sqs", "sns"))
    apis = clients("apigateway", region).get_rest_apis()["items"]
    return RegionInventory(
        region,
        functions=mine([f["FunctionName"] for f in lam.list_functions()["Functions"]]),
        rules=mine([r["Name"] for r in events.list_rules()["Rules"]]),
        queues=mine([url.rsplit("/", 1)[-1] for url in sqs.list_queues().get("QueueUrls", [])]),
        topics=mine([t["TopicArn"].rsplit(":", 1)[-1] for t in sns.list_topics()["Topics"]]),
        alarms=mine(
            [
                a["AlarmName"]
                for a in clients("cloudwatch", region).describe_alarms()["MetricAlarms"]
            ]
        ),
        apis=[f"{api['name']} ({api['id']})" for api in apis if api["name"] == app],
        tables=[
            name
            for name in clients("dynamodb", region).list_tables()["TableNames"]
            if name == f"{app}-ledger-{env}"
        ],
    )


def account_inventory(clients: Clients, app: str, env: str) -> list[str]:
    """The env's IAM roles (global) and the trails (any app's: deploy may make one)."""
    iam = clients("iam", "us-east-1")
    roles = sorted(
        role["RoleName"]
        for page in iam.get_paginator("list_roles").paginate()
        for role in page["Roles"]
        if role["RoleName"].startswith(f"{app}-{env}-")
    )
    trails = clients("cloudtrail", "us-east-1").describe_trails()["trailList"]
    lines = [f"IAM roles: {', '.join(roles)}"] if roles else []
    if trails:
        lines.append(f"CloudTrail trails: {', '.join(sorted(t['Name'] for t in trails))}")
    return lines


def grouped(inventories: list[RegionInventory]) -> list[str]:
    """Regions holding the same things share one entry (e.g. 30 forwarding rules)."""
    by_lines: dict[tuple[str, ...], list[str]] = {}
    for inventory in inventories:
        if not inventory.empty:
            by_lines.setdefault(tuple(inventory.lines()), []).append(inventory.region)
    out: list[str] = []
    for lines, regions in by_lines.items():
        head = regions[0] if len(regions) == 1 else f"{len(regions)} regions ({', '.join(regions)})"
        out += [f"{head}:"] + [f"  {line}" for line in lines]
    return out
