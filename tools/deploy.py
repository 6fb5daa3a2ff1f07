"""`manage.py deploy --env prod`: every region's stage, hardened, in one command.

First `manage.py check` (tools/check.py): any problem refuses before anything is
created; with `--create-trail`, a missing trail is made first (tools/trail.py) when it
is the only problem. Per region: `chalice deploy --stage <env>-<region>` with that
region set, then what Chalice cannot configure (async retries and an on-failure queue
for the sign-in function, a retry policy and a dead-letter queue on its rule's target,
the alarm topic and alarms, API stage throttling). Once: the ledger table in its home
region. With `--forward-from`, regions without a stage forward sign-ins to the nearest
one. With `--org`, every account of the organization forwards to the us-east-1 stage
(tools/org_deploy.py; read first, before anything is made; trusted access for StackSets
activated when off) and that stage's watchdog checks the organization
(ORGANIZATION_WATCH, written to the config before the stage is deployed,
tools/org_watch.py); `--dry-run` only says what that would change. It ends with the
request URLs and the Slack app manifest filled in with them
(tools/slack_manifest.py). A second run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings
from chalicelib.store.provision import create_ledger_table
from chalicelib.watchdog.forwarded import read_forwarding, record_forwarding
from tools.alarms import ensure_alarms, ensure_topic
from tools.bytecode import compile_app
from tools.check import Problem, Topic, check, clients_of, refuses
from tools.check import report as check_report
from tools.cli import add_env_options, region_list
from tools.forwarding import ensure_forward_role, ensure_forward_rules, remove_forward_rule
from tools.hardening import ensure_failure_queue, ensure_invoke_config, ensure_target_hardened
from tools.mistakes import EXIT_MISTAKE, Mistake, OperatorError
from tools.org_deploy import (
    CallAs,
    OrgOptions,
    OrgPlan,
    apply_organization,
    ensure_trusted_access,
    forwarding_to_do,
    plan_organization,
)
from tools.org_stackset import StackSetError
from tools.org_watch import deployed_watch, set_watch
from tools.regions import enabled_regions, nearest
from tools.slack_manifest import ManifestError, RequestUrls, filled, template_path
from tools.stages import PROJECT_DIR, Stage, env_stages, regions_of
from tools.throttling import ensure_stage_throttling
from tools.trail import TRAIL_REGION, ensure_trail

SIGNIN_FUNCTION = "console_signin"
# Every function an EventBridge rule invokes: each gets the on-failure queue, Lambda's
# retries and its rule's retry policy and dead-letter queue.
EVENT_FUNCTIONS = (SIGNIN_FUNCTION, "account_change")
MANIFEST_REGION = "us-east-1"  # whose API URLs go in the printed Slack app manifest


class DeployError(RuntimeError):
    """Deploying cannot go on; the message says what to do."""


class CheckRefused(Exception):
    """`check` found problems: nothing was created."""

    def __init__(self, env: str, problems: list[Problem]) -> None:
        super().__init__(f"check --env {env} refused")
        self.env = env
        self.problems = problems


@dataclass
class RegionDeployed:
    stage: Stage
    signin_function_arn: str
    rule_name: str
    api_url: str | None
    queue_url: str = ""
    alarm_topic: str = ""
    changes: list[str] = field(default_factory=list)

    @property
    def request_urls(self) -> RequestUrls | None:
        return RequestUrls(self.api_url) if self.api_url else None


@dataclass
class DeployReport:
    regions: list[RegionDeployed] = field(default_factory=list)
    forwarded: dict[str, str] = field(default_factory=dict)  # source region -> target
    changes: list[str] = field(default_factory=list)  # ledger and forwarding
    org: OrgPlan | None = None

    @property
    def manifest_urls(self) -> RequestUrls | None:
        """The Slack app's request URLs: the us-east-1 stage's API (else the first)."""
        with_api = [region for region in self.regions if region.request_urls]
        with_api.sort(key=lambda region: region.stage.region != MANIFEST_REGION)
        return with_api[0].request_urls if with_api else None

    @property
    def all_changes(self) -> list[str]:
        return self.changes + [
            f"{region.stage.name}: {change}" for region in self.regions for change in region.changes
        ]


def _session() -> Any:
    import boto3

    return boto3.session.Session()


def run_chalice(project_dir: Path, stage: Stage, verb: str) -> int:
    """`chalice VERB --stage S` in the stage's own region (Chalice has no region key);
    its exit code, with the command echoed first."""
    chalice = Path(sys.executable).parent / "chalice"
    command = [str(chalice), "--project-dir", str(project_dir), verb, "--stage", stage.name]
    print(f"$ AWS_DEFAULT_REGION={stage.region} chalice {' '.join(command[1:])}", flush=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": stage.region}
    return subprocess.run(command, env=env, check=False).returncode


def chalice_deploy(project_dir: Path, stage: Stage) -> None:
    compile_app(project_dir)  # zipped with the source: no compiling at cold start
    code = run_chalice(project_dir, stage, "deploy")
    if code != 0:
        raise DeployError(f"chalice deploy --stage {stage.name} failed (exit {code})")


def state_path(project_dir: Path, stage_name: str) -> Path:
    """Chalice's record of what it deployed for a stage."""
    return project_dir / ".chalice" / "deployed" / f"{stage_name}.json"


def deployed_regions(env: str, project_dir: Path) -> list[str]:
    """The regions whose `<env>-<region>` stage has Chalice's deployed state."""
    return [
        r for r in regions_of(env, project_dir) if state_path(project_dir, f"{env}-{r}").exists()
    ]


def deployed_resources(project_dir: Path, stage: Stage) -> dict[str, dict[str, Any]]:
    path = state_path(project_dir, stage.name)
    return {resource["name"]: resource for resource in json.loads(path.read_text())["resources"]}


def rule_targets_before(
    session: Any, project_dir: Path, stage: Stage, function: str = SIGNIN_FUNCTION
) -> list[dict[str, Any]]:
    """The function's rule's targets before `chalice deploy` re-puts them without our
    settings, so that putting them back is not reported as a change."""
    try:
        rule = deployed_resources(project_dir, stage)[f"{function}-event"]["rule_name"]
        targets: list[dict[str, Any]] = session.client(
            "events", region_name=stage.region
        ).list_targets_by_rule(Rule=rule)["Targets"]
    except Exception:  # first deploy: no state file, rule or targets yet
        return []
    return targets


def harden_region(
    session: Any,
    project_dir: Path,
    stage: Stage,
    targets_before: dict[str, list[dict[str, Any]]],
) -> RegionDeployed:
    resources = deployed_resources(project_dir, stage)
    function = resources[SIGNIN_FUNCTION]["lambda_arn"]
    rule = resources[f"{SIGNIN_FUNCTION}-event"]["rule_name"]
    api = next((r for r in resources.values() if r["resource_type"] == "rest_api"), None)
    region = RegionDeployed(stage, function, rule, api["rest_api_url"] if api else None)
    events = session.client("events", region_name=stage.region)
    hardened = [name for name in EVENT_FUNCTIONS if f"{name}-event" in resources]
    rules = {name: resources[f"{name}-event"]["rule_name"] for name in hardened}
    queue = ensure_failure_queue(
        session.client("sqs", region_name=stage.region),
        stage.failure_queue,
        [events.describe_rule(Name=rules[name])["Arn"] for name in hardened],
        region.changes,
    )
    region.queue_url = queue.url
    for name in hardened:
        arn = resources[name]["lambda_arn"]
        lambda_client = session.client("lambda", region_name=stage.region)
        ensure_invoke_config(lambda_client, arn, queue.arn, region.changes)
        restored: list[str] = []
        ensure_target_hardened(events, rules[name], arn, queue.arn, restored)
        if events.list_targets_by_rule(Rule=rules[name])["Targets"] != targets_before.get(name):
            region.changes += restored
    settings = Settings.from_env(stage.environment)
    region.alarm_topic = ensure_topic(
        session.client("sns", region_name=stage.region), stage, settings.alarm_email, region.changes
    )
    ensure_alarms(
        session.client("cloudwatch", region_name=stage.region),
        stage,
        rule,
        region.alarm_topic,
        region.changes,
    )
    if api:
        ensure_stage_throttling(
            session.client("apigateway", region_name=stage.region),
            api["rest_api_id"],
            api["rest_api_url"].rstrip("/").rsplit("/", 1)[-1],
            settings.api_throttle_rate,
            settings.api_throttle_burst,
            region.changes,
        )
    return region


def forward(
    session: Any, env: str, sources: list[str], deployed: list[str], report: DeployReport
) -> None:
    account = session.client("sts").get_caller_identity()["Account"]
    iam = session.client("iam")
    for region in deployed:  # a region that now has a stage stops forwarding
        removed: list[str] = []
        remove_forward_rule(session.client("events", region_name=region), env, removed)
        removed = [f"{change}: this region has its own stage now" for change in removed]
        report.changes += [f"{region}: {change}" for change in removed]
    for source in sorted(set(sources) - set(deployed)):
        target = nearest(source, deployed)
        role = ensure_forward_role(iam, env, target, account, report.changes)
        events = session.client("events", region_name=source)
        changes: list[str] = []
        ensure_forward_rules(events, env, target, account, role, changes)
        report.changes += [f"{source}: {change}" for change in changes]
        report.forwarded[source] = target


def deploy(
    env: str,
    regions: list[str],
    *,
    forward_from: list[str] | None = None,
    create_trail: bool = False,
    org: OrgOptions | None = None,
    project_dir: Path = PROJECT_DIR,
    session: Any = None,
) -> DeployReport:
    session = session or _session()
    stages = env_stages(env, regions, project_dir)
    report = DeployReport()
    # Never forward from a region whose stage is deployed, even in an earlier run (a
    # stage removed by `manage.py remove` is not: its region forwards again); forward
    # to every region whose stage is deployed.
    deployed = sorted({stage.region for stage in stages} | set(deployed_regions(env, project_dir)))
    # Read the organization before changing anything: a wrong OU or --call-as, or a
    # delegated administrator without trusted access, stops here.
    all_stages = env_stages(env, None, project_dir)
    plan = plan_organization(session, env, all_stages, deployed, org) if org else None
    problems = check(clients_of(session), stages, project_dir)
    trail_missing = any(problem.topic is Topic.TRAIL for problem in problems)
    others = [problem for problem in problems if problem.topic is not Topic.TRAIL]
    if create_trail and trail_missing and not refuses(others):
        account = session.client("sts").get_caller_identity()["Account"]
        ensure_trail(
            session.client("s3", region_name=TRAIL_REGION),
            session.client("cloudtrail", region_name=TRAIL_REGION),
            account,
            report.changes,
        )
        problems = check(clients_of(session), stages, project_dir)
    if refuses(problems):
        raise CheckRefused(env, problems)
    for line in check_report(env, problems):
        print(line)
    if plan:
        ensure_trusted_access(session, plan, dry_run=False)
        deploying = [stage.region for stage in stages]
        watch_organization(session, env, deploying, project_dir, plan.changes, plan.notes)
        stages = env_stages(env, regions, project_dir)  # as the config now says
    for table, home in sorted({(stage.ledger_table, stage.ledger_region) for stage in stages}):
        if create_ledger_table(session.client("dynamodb", region_name=home), table):
            report.changes.append(f"created ledger table {table} in {home}")
    for stage in stages:
        before = {
            name: rule_targets_before(session, project_dir, stage, name) for name in EVENT_FUNCTIONS
        }
        chalice_deploy(project_dir, stage)
        report.regions.append(harden_region(session, project_dir, stage, before))
    sources = enabled_regions(session) if forward_from == ["all"] else list(forward_from or [])
    if plan:  # this account's own regions, as --forward-from covers them
        apply_organization(session, plan, dry_run=False)
        report.changes += [f"organization: {change}" for change in plan.changes]
        sources += plan.forward_from
        report.org = plan
    if sources:
        sources = sorted({region for region in sources if region not in deployed})
        forward(session, env, sources, deployed, report)
        record_forwarded(session, stages, report, deployed)
    return report


def watch_organization(
    session: Any,
    env: str,
    deploying: list[str],
    project_dir: Path,
    changes: list[str],
    notes: list[str],
) -> None:
    """ORGANIZATION_WATCH on the us-east-1 stage, in the config (with its policy file)
    before `chalice deploy` puts it on the stage; if this run does not deploy that stage
    and the deployed one runs without it, a note says what to run."""
    central = set_watch(env, project_dir, True, changes, dry_run=False)
    if central is None or central.region in deploying:
        return
    if deployed_watch(session, central) is False:
        notes.append(
            f"{central.name} runs without ORGANIZATION_WATCH until deployed again: "
            f"python manage.py deploy --env {env} --regions {central.region}"
        )


def dry_run_org(
    env: str, regions: list[str], org: OrgOptions, project_dir: Path, session: Any = None
) -> OrgPlan:
    """What `deploy --org` would change in the organization; nothing is changed (the
    stages are not looked at: `chalice deploy` has no dry run)."""
    session = session or _session()
    stages = env_stages(env, regions, project_dir)
    deployed = sorted({stage.region for stage in stages} | set(deployed_regions(env, project_dir)))
    plan = plan_organization(session, env, env_stages(env, None, project_dir), deployed, org)
    ensure_trusted_access(session, plan, dry_run=True)
    set_watch(env, project_dir, True, plan.changes, dry_run=True)
    apply_organization(session, plan, dry_run=True)
    plan.changes += forwarding_to_do(session, env, plan.forward_from, deployed)
    return plan


def record_forwarded(
    session: Any, stages: list[Stage], report: DeployReport, with_stage: list[str]
) -> None:
    """Tell the watchdog which forwarding rules exist (in each ledger table used)."""
    for table, home in sorted({(stage.ledger_table, stage.ledger_region) for stage in stages}):
        dynamodb = session.client("dynamodb", region_name=home)
        env = stages[0].env
        routes = {**read_forwarding(dynamodb, table, env), **report.forwarded}
        routes = {source: target for source, target in routes.items() if source not in with_stage}
        if record_forwarding(dynamodb, table, env, routes):
            report.changes.append(f"watchdog: checks forwarding from {', '.join(sorted(routes))}")


def print_report(report: DeployReport, project_dir: Path = PROJECT_DIR) -> None:
    print()
    for region in report.regions:
        print(f"{region.stage.name} ({region.stage.region})")
        print(f"  sign-in function: {region.signin_function_arn}")
        print(f"  undelivered alerts queue: {region.queue_url}")
        print(f"  alarm topic: {region.alarm_topic}")
        urls = region.request_urls
        print(f"  slash command URL: {urls.slash_command}" if urls else "  no API (no routes)")
    for source, target in sorted(report.forwarded.items()):
        print(f"{source}: sign-ins forwarded to {target}")
    if report.org:
        print_org(report.org)
    changes = report.all_changes
    print(f"\n{len(changes)} change(s) besides chalice deploy" + (":" if changes else ""))
    for change in changes:
        print(f"  {change}")
    urls = report.manifest_urls
    if urls:
        print(f"\nPaste into the Slack app's /recent-logins command: {urls.slash_command}")
        print(f"and into its Interactivity request URL (Was this you?): {urls.interactions}")
        print(f"and into its Event Subscriptions request URL (App Home): {urls.events}")
        print_manifest(urls, project_dir)


def print_org(plan: OrgPlan) -> None:
    spec = plan.spec
    accounts = sorted({account for account, _ in spec.expected(plan.org)})
    print(
        f"organization {plan.org.id}: stack set {spec.name} ({spec.call_as}) targets "
        f"{', '.join(spec.units)} in {len(spec.regions)} regions: {len(accounts)} member "
        f"account(s) forward to {spec.bus_arn}"
    )
    for note in plan.notes:
        print(note)


def print_manifest(urls: RequestUrls, project_dir: Path) -> None:
    path = template_path(project_dir)
    if not path.exists():
        path = template_path()
    try:
        manifest = filled(path.read_text(), urls)
    except ManifestError as error:
        print(f"(no manifest printed: {error})")
        return
    print(
        "\nOr paste this manifest (api.slack.com/apps -> your app -> App Manifest, or "
        "Create New App -> From a manifest):\n"
    )
    print(manifest.rstrip())


def register(commands: Any) -> None:
    parser = commands.add_parser("deploy", help="deploy and harden every region's stage")
    add_env_options(parser)
    parser.add_argument(
        "--forward-from",
        type=region_list,
        metavar="all|REGIONS",
        help="forward sign-ins from these regions (all: every enabled one) to the nearest stage",
    )
    parser.add_argument(
        "--create-trail",
        action="store_true",
        help="when check finds no trail logging sign-ins: a bucket, its policy, a "
        "multi-region trail, logging started",
    )
    add_org_options(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="with --org: print what it would change in the organization, change nothing",
    )
    parser.set_defaults(run=run)


def add_org_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--org",
        action="store_true",
        help="every account of the organization forwards to the us-east-1 stage (StackSets)",
    )
    parser.add_argument(
        "--org-units",
        type=region_list,
        metavar="OU,...",
        help="with --org: only these OUs (default: the organization's root)",
    )
    parser.add_argument(
        "--org-regions",
        type=region_list,
        metavar="R,...",
        help="with --org: the members' regions (default: every region enabled here)",
    )
    parser.add_argument(
        "--call-as",
        type=CallAs,
        choices=list(CallAs),
        help="with --org: SELF (management account) or DELEGATED_ADMIN (default: which "
        "this account is)",
    )


def org_options(args: argparse.Namespace) -> OrgOptions | None:
    """--org and its options; an option of --org without it is a mistake, not ignored."""
    given = [
        flag
        for flag, value in (
            ("--org-units", args.org_units),
            ("--org-regions", args.org_regions),
            ("--call-as", args.call_as),
            ("--dry-run", getattr(args, "dry_run", False)),
        )
        if value
    ]
    if not args.org:
        if given:
            raise OperatorError(
                Mistake.MISSING_VALUE, f"{', '.join(given)} without --org", "add --org"
            )
        return None
    return OrgOptions(args.org_units, args.org_regions, args.call_as)


def run(args: argparse.Namespace) -> int:
    regions = [s.region for s in env_stages(args.env, args.regions, args.project_dir)]
    org = org_options(args)
    if org and args.dry_run:
        plan = dry_run_org(args.env, regions, org, args.project_dir)
        print_org(plan)
        colon = ":" if plan.changes else ""
        print(f"dry run: {len(plan.changes)} change(s) it would make{colon}")
        for change in plan.changes:
            print(f"  {change}")
        print("nothing was changed (stages: chalice deploy has no dry run; not looked at)")
        return 0
    try:
        report = deploy(
            args.env,
            regions,
            forward_from=args.forward_from,
            create_trail=args.create_trail,
            org=org,
            project_dir=args.project_dir,
        )
    except CheckRefused as refused:
        print("\n".join(check_report(refused.env, refused.problems)), file=sys.stderr)
        print("deploy: refused before creating anything", file=sys.stderr)
        return EXIT_MISTAKE
    except (DeployError, StackSetError) as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 1
    print_report(report, args.project_dir)
    return 0
