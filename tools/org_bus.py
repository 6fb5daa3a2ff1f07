"""The central bus's resource policy: the organization may put events on it.

One statement, named after the env, lets any principal of the organization
(`aws:PrincipalOrgID`, never `*` alone) call `events:PutEvents` on the bus. Every
other statement of the policy is kept as it is: PutPermission with a whole policy
replaces it, so the policy written is the one read plus ours.
"""

from __future__ import annotations

import json
from typing import Any

from tools.stages import APP_NAME

BUS_NAME = "default"


def statement_id(env: str) -> str:
    return f"{APP_NAME}-{env}-organization"


def org_statement(env: str, org_id: str, bus_arn: str) -> dict[str, Any]:
    return {
        "Sid": statement_id(env),
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": bus_arn,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
    }


def bus_statements(events: Any) -> list[dict[str, Any]]:
    policy = events.describe_event_bus(Name=BUS_NAME).get("Policy")
    statements: list[dict[str, Any]] = json.loads(policy)["Statement"] if policy else []
    return statements


def ensure_org_statement(
    events: Any, env: str, org_id: str, bus_arn: str, changes: list[str], *, dry_run: bool
) -> None:
    wanted = org_statement(env, org_id, bus_arn)
    statements = bus_statements(events)
    others = [s for s in statements if s.get("Sid") != wanted["Sid"]]
    if len(others) + 1 == len(statements) and wanted in statements:
        return
    changes.append(f"bus {bus_arn}: organization {org_id} may put events ({wanted['Sid']})")
    if not dry_run:
        policy = {"Version": "2012-10-17", "Statement": [*others, wanted]}
        events.put_permission(EventBusName=BUS_NAME, Policy=json.dumps(policy))


def remove_org_statement(events: Any, env: str, bus_arn: str, changes: list[str]) -> None:
    sid = statement_id(env)
    if any(statement.get("Sid") == sid for statement in bus_statements(events)):
        events.remove_permission(EventBusName=BUS_NAME, StatementId=sid)
        changes.append(f"bus {bus_arn}: removed statement {sid} (others kept)")
