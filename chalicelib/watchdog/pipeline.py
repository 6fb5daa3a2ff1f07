"""Can the pipeline see sign-ins? Trails, EventBridge rules and the undelivered queue.

Pure functions over the clients they are given: the hourly watchdog and
`manage.py audit-regions` run the same code. Each returns a Finding whose `fix` is
the command (or console link) an operator runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.signin.pattern import ACCOUNT_CHANGE_PATTERN, FORWARDED_PATTERNS
from chalicelib.watchdog.findings import Check, Finding, Status, forward_rule_name

SIGNIN_SOURCE = "aws.signin"
# Messages read to find the oldest parked alert (made visible again at once).
PEEK_MESSAGES = 10

Clients = Callable[[str, str], Any]  # (service, region) -> boto3 client


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", "")) or type(error).__name__
    return type(error).__name__


# -- trails -----------------------------------------------------------------------------


def records_management_events(selectors: Mapping[str, Any]) -> bool:
    """Whether a trail's event selectors let write management events (sign-ins) through.
    A trail with no selectors records every management event (AWS's default)."""
    basic = selectors.get("EventSelectors") or []
    advanced = selectors.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True
    for selector in basic:
        if selector.get("IncludeManagementEvents", True) and selector.get(
            "ReadWriteType", "All"
        ) in ("All", "WriteOnly"):
            return True
    for selector in advanced:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {}).get("Equals", [])
        read_only = fields.get("readOnly", {}).get("Equals", [])
        if "Management" in category and read_only != ["true"]:
            return True
    return False


@dataclass(frozen=True)
class TrailView:
    name: str
    home_region: str
    logging: bool
    management_events: bool


def trails_for(clients: Clients, region: str) -> list[TrailView]:
    """Trails that record `region`'s events: multi-region ones, or ones homed there."""
    cloudtrail = clients("cloudtrail", region)
    views = []
    for trail in cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]:
        home = trail.get("HomeRegion") or region
        if not (trail.get("IsMultiRegionTrail") or home == region):
            continue
        try:
            status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
            # Event selectors are read in the trail's home region.
            selectors = clients("cloudtrail", home).get_event_selectors(TrailName=trail["TrailARN"])
        except Exception:  # e.g. an organisation trail seen from a member: not proof
            continue
        views.append(
            TrailView(
                trail["Name"],
                home,
                bool(status.get("IsLogging")),
                records_management_events(selectors),
            )
        )
    return sorted(views, key=lambda view: view.name)


def logging_trails(clients: Clients, region: str) -> list[str]:
    """Names of the trails that are logging this region's sign-ins now."""
    return [t.name for t in trails_for(clients, region) if t.logging and t.management_events]


def trail_finding(clients: Clients, region: str) -> Finding:
    trails = trails_for(clients, region)
    if any(t.logging and t.management_events for t in trails):
        return Finding.ok(Check.TRAIL, region)
    console = f"https://{region}.console.aws.amazon.com/cloudtrail/home?region={region}#/trails"
    stopped = [t for t in trails if not t.logging]
    if stopped:
        trail = stopped[0]
        return Finding(
            Check.TRAIL,
            region,
            Status.PROBLEM,
            f"trail {trail.name} is not logging: no sign-in event reaches EventBridge in {region}",
            f"aws cloudtrail start-logging --region {trail.home_region} --name {trail.name}",
        )
    if trails:
        return Finding(
            Check.TRAIL,
            region,
            Status.PROBLEM,
            f"trail {trails[0].name} does not record write management events, so no "
            f"sign-in in {region}",
            f"include management events (Read/Write: All) in the trail's event selectors: "
            f"{console}",
        )
    return Finding(
        Check.TRAIL,
        region,
        Status.PROBLEM,
        f"no trail records {region}: EventBridge gets no sign-in events there",
        f"create a multi-region trail that is logging: {console}",
    )


# -- EventBridge rules ------------------------------------------------------------------


def matches_signins(pattern_text: str | None) -> bool:
    try:
        pattern = json.loads(pattern_text or "{}")
    except ValueError:
        return False
    source = pattern.get("source") if isinstance(pattern, dict) else None
    return isinstance(source, list) and SIGNIN_SOURCE in source


def _describe_rule(events: Any, name: str) -> dict[str, Any] | None:
    try:
        rule: dict[str, Any] = events.describe_rule(Name=name)
    except events.exceptions.ResourceNotFoundException:
        return None
    return rule


def matches_changes(pattern_text: str | None) -> bool:
    """The account_change rule's pattern is the declared one (an older deploy's is not)."""
    try:
        return bool(json.loads(pattern_text or "{}") == ACCOUNT_CHANGE_PATTERN)
    except ValueError:
        return False


@dataclass(frozen=True)
class RuleKind:
    check: Check
    one: str  # "sign-in"
    many: str  # "sign-ins"
    matches: Callable[[str | None], bool]


SIGNIN_RULE_KIND = RuleKind(Check.SIGNIN_RULE, "sign-in", "sign-ins", matches_signins)
CHANGE_RULE_KIND = RuleKind(Check.CHANGE_RULE, "account change", "account changes", matches_changes)


def signin_rule_finding(
    clients: Clients, region: str, rule_name: str, function_arn: str, deploy: str
) -> Finding:
    """The stage's own rule: exists, enabled, matches sign-ins, targets the function."""
    return rule_finding(clients, region, rule_name, function_arn, deploy, SIGNIN_RULE_KIND)


def rule_finding(
    clients: Clients,
    region: str,
    rule_name: str,
    function_arn: str,
    deploy: str,
    kind: RuleKind,
) -> Finding:
    """One of the stage's own rules (sign-ins, account changes): exists, enabled,
    matches its events, targets its function."""
    events = clients("events", region)
    rule = _describe_rule(events, rule_name)
    if rule is None:
        what = f"{kind.one} rule {rule_name} is missing"
        return Finding(kind.check, region, Status.PROBLEM, what, deploy)
    if rule.get("State") != "ENABLED":
        return Finding(
            kind.check,
            region,
            Status.PROBLEM,
            f"{kind.one} rule {rule_name} is disabled: no {kind.one} reaches the function",
            f"aws events enable-rule --region {region} --name {rule_name}",
        )
    targets = events.list_targets_by_rule(Rule=rule_name)["Targets"]
    if not kind.matches(rule.get("EventPattern")) or not any(
        target["Arn"] == function_arn for target in targets
    ):
        function = function_arn.rsplit(":", 1)[-1]
        what = f"{kind.one} rule {rule_name} does not send {kind.many} to {function}"
        return Finding(kind.check, region, Status.PROBLEM, what, deploy)
    return Finding.ok(kind.check, region)


def forwarding_finding(clients: Clients, env: str, source: str, target: str) -> Finding:
    """A region without a stage: each of its forwarding rules (one per forwarded
    pattern: sign-ins, account changes) exists, is enabled and sends to `target`'s
    default bus. The first problem found is the finding."""
    for kind in FORWARDED_PATTERNS:
        finding = _forwarding_rule_finding(clients, env, source, target, kind)
        if finding.status is not Status.OK:
            return finding
    return Finding.ok(Check.FORWARDING, source, subject=source)


def _forwarding_rule_finding(
    clients: Clients, env: str, source: str, target: str, kind: str
) -> Finding:
    events = clients("events", source)
    name = forward_rule_name(env, kind)
    fix = f"python manage.py deploy --env {env} --forward-from {source}"
    rule = _describe_rule(events, name)
    if rule is None:
        what = f"forwarding rule {name} in {source} is missing: its {kind} go unseen"
        return Finding(Check.FORWARDING, source, Status.PROBLEM, what, fix, subject=source)
    if rule.get("State") != "ENABLED":
        return Finding(
            Check.FORWARDING,
            source,
            Status.PROBLEM,
            f"forwarding rule {name} in {source} is disabled: its {kind} go unseen",
            f"aws events enable-rule --region {source} --name {name}",
            subject=source,
        )
    buses = [t["Arn"] for t in events.list_targets_by_rule(Rule=name)["Targets"]]
    if not any(arn.split(":")[3] == target and arn.endswith(":event-bus/default") for arn in buses):
        what = f"forwarding rule {name} in {source} does not forward to {target}"
        return Finding(Check.FORWARDING, source, Status.PROBLEM, what, fix, subject=source)
    return Finding.ok(Check.FORWARDING, source, subject=source)


@dataclass(frozen=True)
class Route:
    rule: str
    function: str | None = None  # a stage's sign-in function in this region
    forwards_to: str | None = None  # or the region whose default bus gets the events


def signin_routes(events: Any, rule_prefix: str | None) -> list[Route]:
    """Every enabled rule in `events`' region that sends sign-ins somewhere."""
    routes = []
    for page in events.get_paginator("list_rules").paginate():
        for rule in page["Rules"]:
            name = rule["Name"]
            if rule.get("State") != "ENABLED" or not matches_signins(rule.get("EventPattern")):
                continue
            if rule_prefix and not name.startswith(rule_prefix):
                continue
            for target in events.list_targets_by_rule(Rule=name)["Targets"]:
                arn = target["Arn"]
                service, region = arn.split(":")[2], arn.split(":")[3]
                if service == "lambda":
                    routes.append(Route(name, function=arn))
                elif service == "events" and arn.endswith(":event-bus/default"):
                    routes.append(Route(name, forwards_to=region))
                else:
                    routes.append(Route(name))
    return routes


# -- the undelivered queue --------------------------------------------------------------


def _age_text(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def undelivered_finding(
    clients: Clients, region: str, queue_name: str, env: str, now: datetime, deploy: str
) -> Finding:
    """Lambda's on-failure destination and the rule's dead-letter queue (one queue, set
    by `manage.py deploy` and the SAM template): empty, or how many and how old."""
    sqs = clients("sqs", region)
    try:
        url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        what = f"queue {queue_name} is missing: failed alerts have nowhere to wait"
        return Finding(Check.UNDELIVERED, region, Status.PROBLEM, what, deploy)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    count = sum(int(attributes.get(name, 0)) for name in names)
    if count == 0:
        return Finding.ok(Check.UNDELIVERED, region)
    # SQS has no "oldest message" attribute: look at a few, and give them back at once.
    peeked = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=PEEK_MESSAGES,
        VisibilityTimeout=0,
        WaitTimeSeconds=0,
        MessageSystemAttributeNames=["SentTimestamp"],
    ).get("Messages", [])
    sent = [int(m.get("Attributes", {}).get("SentTimestamp", 0)) for m in peeked]
    age = ""
    if sent and min(sent) > 0:
        age = f", the oldest {_age_text(now.timestamp() - min(sent) / 1000)} old"
    plural = "s" if count != 1 else ""
    return Finding(
        Check.UNDELIVERED,
        region,
        Status.PROBLEM,
        f"{count} undelivered sign-in alert{plural} in {queue_name}{age}",
        f"python manage.py redrive --env {env} --regions {region}",
    )
