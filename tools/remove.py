"""`manage.py remove --env ENV [--regions R]`: take stages down, with all deploy made.

Per stage, in its own region: `chalice delete --stage <env>-<region>` (functions, their
roles, rules, the API), then what `manage.py deploy` added around it: the five alarms,
the alarm topic, the on-failure queue, and Chalice's deployed state. Then forwarding:
every region that forwarded sign-ins to a removed stage, and each removed region
itself, forwards to the nearest stage that remains (with none left, every forwarding
rule and role of the env goes); the watchdog's record follows. `audit-regions` is
clean after it. The ledger table stays (its history): delete it by hand if you want
it gone. Running it again changes nothing.

`remove --env ENV --org` takes down what `deploy --org` made and leaves the stages:
every stack instance and the stack set, the central bus's organization statement
(others stay), and this account's forwarding rules and roles. The us-east-1 stage is
left as a plain deploy makes it: ORGANIZATION_WATCH off in the config and its policy
file, and, while the deployed stage still has it, deployed again (its watchdog would
otherwise report the stack set missing every hour). Trusted access for StackSets stays
activated: other stack sets of the organization may need it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.signin.pattern import FORWARDED_PATTERNS
from chalicelib.watchdog.forwarded import record_forwarding
from tools.alarms import alarm_specs, topic_name
from tools.check import report as check_report
from tools.cli import add_env_options, session
from tools.deploy import (
    CheckRefused,
    DeployError,
    DeployReport,
    deploy,
    deployed_regions,
    forward,
    record_forwarded,
    run_chalice,
    state_path,
)
from tools.forwarding import bus_arn, forward_role_name, forward_rule_name, remove_forward_rule
from tools.mistakes import Mistake, OperatorError
from tools.org_bus import remove_org_statement
from tools.org_deploy import CENTRAL_REGION, CallAs, caller_role
from tools.org_stackset import StackSetError, StackSetSpec, remove_stack_set
from tools.org_watch import WATCH_SETTING, deployed_watch, set_watch
from tools.organization import read_organization
from tools.regions import enabled_regions
from tools.stages import Stage, env_stages


class RemoveError(RuntimeError):
    """`chalice delete` failed: the stage is left for a second run."""


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)  # stage names
    changes: list[str] = field(default_factory=list)
    forwarded: dict[str, str] = field(default_factory=dict)  # source region -> target


def chalice_delete(project_dir: Path, stage: Stage) -> None:
    code = run_chalice(project_dir, stage, "delete")
    if code != 0:
        raise RemoveError(f"chalice delete --stage {stage.name} failed (exit {code})")


def remove_alarms(cloudwatch: Any, stage: Stage, changes: list[str]) -> None:
    names = [spec.name(stage) for spec in alarm_specs(stage, rule_name="")]
    found = [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]]
    if found:
        cloudwatch.delete_alarms(AlarmNames=found)
        changes.append(f"deleted {len(found)} alarms {stage.function_prefix}-*")


def remove_topic(sns: Any, stage: Stage, changes: list[str]) -> None:
    name = topic_name(stage)
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                sns.delete_topic(TopicArn=topic["TopicArn"])
                changes.append(f"deleted alarm topic {name}")


def remove_queue(sqs: Any, stage: Stage, changes: list[str]) -> None:
    try:
        url = sqs.get_queue_url(QueueName=stage.failure_queue)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return
    sqs.delete_queue(QueueUrl=url)
    changes.append(f"deleted queue {stage.failure_queue} (and any alert parked in it)")


def remove_stage(aws: Any, project_dir: Path, stage: Stage, changes: list[str]) -> None:
    state = state_path(project_dir, stage.name)
    if state.exists():
        chalice_delete(project_dir, stage)
        state.unlink(missing_ok=True)
        changes.append(f"chalice delete --stage {stage.name}; removed {state.name}")
    remove_alarms(aws.client("cloudwatch", region_name=stage.region), stage, changes)
    remove_topic(aws.client("sns", region_name=stage.region), stage, changes)
    remove_queue(aws.client("sqs", region_name=stage.region), stage, changes)


def forwarding_regions(aws: Any, env: str) -> list[str]:
    """Regions where any of the env's forwarding rules exists."""
    found = []
    for region in enabled_regions(aws):
        events = aws.client("events", region_name=region)
        for kind in FORWARDED_PATTERNS:
            try:
                events.describe_rule(Name=forward_rule_name(env, kind))
            except events.exceptions.ResourceNotFoundException:
                continue
            found.append(region)
            break
    return found


def remove_forward_roles(iam: Any, env: str, targets: list[str], changes: list[str]) -> None:
    for target in targets:
        name = forward_role_name(env, target)
        try:
            policies = iam.list_role_policies(RoleName=name)["PolicyNames"]
        except iam.exceptions.NoSuchEntityException:
            continue
        for policy in policies:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
        changes.append(f"deleted role {name}")


def reroute(
    aws: Any, env: str, removed: list[str], all_stages: list[Stage], project_dir: Path
) -> RemoveReport:
    """Forward what reached the removed stages (and their own regions) to the nearest
    stage that remains; with none left, take every forwarding rule down."""
    report = RemoveReport()
    remaining = deployed_regions(env, project_dir)
    sources = sorted(set(forwarding_regions(aws, env)) | set(removed))
    if remaining:
        forwarded = DeployReport()
        forward(aws, env, sources, remaining, forwarded)
        record_forwarded(aws, all_stages, forwarded, remaining)
        report.changes += forwarded.changes
        report.forwarded = forwarded.forwarded
    else:
        remove_forwarding(aws, env, sources, all_stages, report.changes)
    unused = sorted({s.region for s in all_stages} - set(remaining))
    remove_forward_roles(aws.client("iam"), env, unused, report.changes)
    return report


def remove_forwarding(
    aws: Any, env: str, sources: list[str], all_stages: list[Stage], changes: list[str]
) -> None:
    """The env's forwarding rule in each of `sources`; the watchdog checks none."""
    for region in sources:
        removed: list[str] = []
        remove_forward_rule(aws.client("events", region_name=region), env, removed)
        changes += [f"{region}: {change}" for change in removed]
    for table, home in sorted({(s.ledger_table, s.ledger_region) for s in all_stages}):
        dynamodb = aws.client("dynamodb", region_name=home)
        try:
            if record_forwarding(dynamodb, table, env, {}):
                changes.append("watchdog: checks no forwarding")
        except dynamodb.exceptions.ResourceNotFoundException:
            pass  # no ledger: nothing recorded


def remove_org(env: str, call_as: CallAs | None, project_dir: Path, aws: Any) -> list[str]:
    """What `deploy --org` made, in the order that leaves no forwarder without its
    target: the members' instances and the stack set, then the bus statement, then
    this account's own forwarding."""
    all_stages = env_stages(env, None, project_dir)
    account = aws.client("sts").get_caller_identity()["Account"]
    org = read_organization(aws.client("organizations", region_name=CENTRAL_REGION))
    role = caller_role(org, account, call_as)
    bus = bus_arn(CENTRAL_REGION, account)
    spec = StackSetSpec(env, bus, (org.root,), (), role.value)
    changes: list[str] = []
    remove_stack_set(aws.client("cloudformation", region_name=CENTRAL_REGION), spec, org, changes)
    remove_org_statement(aws.client("events", region_name=CENTRAL_REGION), env, bus, changes)
    remove_forwarding(aws, env, forwarding_regions(aws, env), all_stages, changes)
    regions = {s.region for s in all_stages}
    remove_forward_roles(aws.client("iam"), env, sorted(regions), changes)
    return changes + unwatch_organization(env, project_dir, aws)


def unwatch_organization(env: str, project_dir: Path, aws: Any) -> list[str]:
    """The us-east-1 stage as a plain deploy leaves it: ORGANIZATION_WATCH off in the
    config and its policy file and, while the deployed stage still runs with it, deployed
    again (decided from the deployed function, so a failed run is finished by the next)."""
    changes: list[str] = []
    central = set_watch(env, project_dir, False, changes, dry_run=False)
    if central is not None and deployed_watch(aws, central):
        redeployed = deploy(env, [central.region], project_dir=project_dir, session=aws)
        changes.append(f"{central.name}: deployed again without {WATCH_SETTING}")
        changes += redeployed.all_changes
    return changes


def remove(env: str, regions: list[str] | None, project_dir: Path, aws: Any) -> RemoveReport:
    stages = env_stages(env, regions, project_dir)
    all_stages = env_stages(env, None, project_dir)
    changes: list[str] = []
    for stage in stages:
        stage_changes: list[str] = []
        remove_stage(aws, project_dir, stage, stage_changes)
        changes += [f"{stage.name}: {change}" for change in stage_changes]
    report = reroute(aws, env, [s.region for s in stages], all_stages, project_dir)
    report.removed = [stage.name for stage in stages]
    report.changes = changes + report.changes
    return report


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "remove", help="remove stages with their alarms, topics, queues and forwarding"
    )
    add_env_options(parser)
    parser.add_argument(
        "--org",
        action="store_true",
        help="only what deploy --org made: stack instances, stack set, bus statement, this "
        "account's forwarding (the stages stay)",
    )
    parser.add_argument(
        "--call-as",
        type=CallAs,
        choices=list(CallAs),
        help="with --org: SELF or DELEGATED_ADMIN (default: which this account is)",
    )
    parser.set_defaults(run=run)


def run_org(args: argparse.Namespace) -> int:
    try:
        changes = remove_org(args.env, args.call_as, args.project_dir, session())
    except StackSetError as error:
        print(f"remove: {error}", file=sys.stderr)
        return 1
    except (CheckRefused, DeployError) as error:
        if isinstance(error, CheckRefused):
            print("\n".join(check_report(error.env, error.problems)), file=sys.stderr)
        print(
            f"remove: the organization's part is removed, but the {args.env}-{CENTRAL_REGION} "
            f"stage could not be deployed again without {WATCH_SETTING} ({error}); fix that, "
            f"then run python manage.py remove --env {args.env} --org again",
            file=sys.stderr,
        )
        return 1
    print(f"{len(changes)} change(s)" + (":" if changes else ""))
    for change in changes:
        print(f"  {change}")
    print(
        f"kept: the stages (python manage.py remove --env {args.env} takes them down); "
        f"python manage.py deploy --env {args.env} --org brings the organization back"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.org and args.regions:
        raise OperatorError(
            Mistake.BAD_VALUE,
            "--regions with --org: the organization's part spans every region",
            "leave out --regions (then remove stages with remove --env ENV --regions ...)",
        )
    if args.org:
        return run_org(args)
    if args.call_as:
        raise OperatorError(Mistake.MISSING_VALUE, "--call-as without --org", "add --org")
    try:
        report = remove(args.env, args.regions, args.project_dir, session())
    except RemoveError as error:
        print(f"remove: {error}", file=sys.stderr)
        return 1
    print(f"\nremoved {', '.join(report.removed)}")
    for source, target in sorted(report.forwarded.items()):
        print(f"{source}: sign-ins forwarded to {target}")
    print(f"{len(report.changes)} change(s)" + (":" if report.changes else ""))
    for change in report.changes:
        print(f"  {change}")
    print(
        "kept: the ledger table (its history); .chalice/config.json still names the stages "
        f"(python manage.py deploy --env {args.env} brings them back)"
    )
    return 0
