"""Forward sign-in events from regions without a stage to the nearest region with one.

An EventBridge rule only sees its own region's events. In a region without a stage, one
rule per pattern the stage subscribes to (`FORWARDED_PATTERNS`: the sign-ins, the
account changes) sends each event to the default bus of the nearest deployed region,
where the stage's own rule picks it up like a local one. The rules use one role,
allowed to put events on that one bus and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.signin.pattern import FORWARDED_PATTERNS

# Named in chalicelib: the watchdog checks these rules from Lambda.
from chalicelib.watchdog.findings import forward_rule_name as forward_rule_name
from tools.hardening import ensure_target_hardened
from tools.stages import APP_NAME


def forward_target_id(kind: str) -> str:
    return f"forward-{kind}"


def events_trust(account_id: str) -> dict[str, Any]:
    """Only EventBridge, and only on behalf of this account's rules, may use the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def forward_role_name(env: str, target_region: str) -> str:
    return f"{APP_NAME}-{env}-forward-to-{target_region}"


def bus_arn(region: str, account_id: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/default"


def ensure_forward_role(
    iam: Any, env: str, target_region: str, account_id: str, changes: list[str]
) -> str:
    name = forward_role_name(env, target_region)
    trust = events_trust(account_id)
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=f"{APP_NAME}: forward sign-in events to {target_region}",
        )["Role"]
        changes.append(f"created role {name}")
    current_trust = role.get("AssumeRolePolicyDocument")
    if isinstance(current_trust, str):
        from urllib.parse import unquote

        current_trust = json.loads(unquote(current_trust))
    if current_trust != trust:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        changes.append(f"role {name}: trust EventBridge for this account only")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "events:PutEvents",
                "Resource": bus_arn(target_region, account_id),
            }
        ],
    }
    try:
        current = iam.get_role_policy(RoleName=name, PolicyName="put-events")["PolicyDocument"]
        if isinstance(current, str):
            current = json.loads(current)
    except iam.exceptions.NoSuchEntityException:
        current = None
    if current != policy:
        iam.put_role_policy(
            RoleName=name, PolicyName="put-events", PolicyDocument=json.dumps(policy)
        )
        changes.append(f"role {name}: events:PutEvents on the {target_region} default bus")
    arn: str = role["Arn"]
    return arn


def ensure_forward_rules(
    events: Any,
    env: str,
    target_region: str,
    account_id: str,
    role_arn: str,
    changes: list[str],
) -> list[str]:
    """Every forwarding rule in `events`' region, one per forwarded pattern."""
    return [
        ensure_forward_rule(events, env, target_region, account_id, role_arn, changes, kind)
        for kind in FORWARDED_PATTERNS
    ]


def ensure_forward_rule(
    events: Any,
    env: str,
    target_region: str,
    account_id: str,
    role_arn: str,
    changes: list[str],
    kind: str = "signins",
) -> str:
    """One forwarding rule (`kind`: a `FORWARDED_PATTERNS` name) in `events`' region;
    returns the rule's name."""
    name = forward_rule_name(env, kind)
    wanted = FORWARDED_PATTERNS[kind]
    pattern = json.dumps(wanted, sort_keys=True)
    description = f"{APP_NAME}: forward {kind} to {target_region}"
    try:
        current = events.describe_rule(Name=name)
    except events.exceptions.ResourceNotFoundException:
        current = {}
    if (
        not current
        or json.loads(current.get("EventPattern", "{}")) != wanted
        or current.get("State") != "ENABLED"
        or current.get("Description") != description
    ):
        events.put_rule(Name=name, EventPattern=pattern, State="ENABLED", Description=description)
        changes.append(f"rule {name}: {kind} pattern")
    target_arn = bus_arn(target_region, account_id)
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    stale = [target["Id"] for target in targets if target["Arn"] != target_arn]
    if stale:  # the nearest deployed region changed: forward to the new one only
        events.remove_targets(Rule=name, Ids=stale)
        changes.append(f"rule {name}: removed old targets {', '.join(stale)}")
    mine = [target for target in targets if target["Arn"] == target_arn]
    target_id = forward_target_id(kind)
    if not mine or mine[0].get("RoleArn") != role_arn or mine[0]["Id"] != target_id:
        events.put_targets(
            Rule=name, Targets=[{"Id": target_id, "Arn": target_arn, "RoleArn": role_arn}]
        )
        changes.append(f"rule {name}: forward to {target_arn}")
    # No dead-letter queue here: it would have to live in this region too; the bus it
    # forwards to is EventBridge itself, and the retry policy covers its short outages.
    ensure_target_hardened(events, name, target_arn, None, changes)
    return name


def remove_forward_rule(events: Any, env: str, changes: list[str]) -> None:
    """Every forwarding rule of the env in `events`' region."""
    for kind in FORWARDED_PATTERNS:
        name = forward_rule_name(env, kind)
        try:
            targets = events.list_targets_by_rule(Rule=name)["Targets"]
        except events.exceptions.ResourceNotFoundException:
            continue
        if targets:
            events.remove_targets(Rule=name, Ids=[target["Id"] for target in targets])
        events.delete_rule(Name=name)
        changes.append(f"removed rule {name}")
