"""`manage.py deploy --env ENV --org`: every account of the organization, every region.

Run from the management account (`--call-as SELF`) or a delegated administrator for
StackSets (`--call-as DELEGATED_ADMIN`); the account that runs it holds the stages and
the central bus (its us-east-1 stage's default bus). It gives that bus a policy
statement for the organization (tools/org_bus.py), rolls the member template out as
one service-managed StackSet (tools/org_stackset.py) to the root or the OUs given, in
every region sign-ins are recorded, and covers the running account's own regions the
way `--forward-from` does (StackSets never deploys to the management account, and the
central account is left out of the stack set). A delegated administrator cannot reach
the management account: the report says what to run there. `--dry-run` says what it
would change and changes nothing. Before anything is made, trusted access for StackSets
is read (tools/org_access.py): the management account activates it when it is off, a
delegated administrator stops there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.watchdog.findings import forward_rule_name
from chalicelib.watchdog.pipeline import signin_routes
from tools.forwarding import bus_arn
from tools.mistakes import Mistake, OperatorError
from tools.org_access import AccessStatus, ensure_access, read_access
from tools.org_bus import ensure_org_statement
from tools.org_stackset import StackSetSpec, ensure_instances, ensure_stack_set, not_current
from tools.organization import Organization, checked_units, read_organization
from tools.regions import enabled_regions, nearest
from tools.stages import Stage

CENTRAL_REGION = "us-east-1"


class CallAs(StrEnum):
    SELF = "SELF"
    DELEGATED_ADMIN = "DELEGATED_ADMIN"


@dataclass(frozen=True)
class OrgOptions:
    units: list[str] | None = None  # OU ids; None: the organization's root
    regions: list[str] | None = None  # None: every enabled region
    call_as: CallAs | None = None  # None: SELF in the management account, else delegated


@dataclass
class OrgPlan:
    """Who runs it, for which organization, and what it does (or would do)."""

    org: Organization
    account: str
    spec: StackSetSpec
    access: AccessStatus  # trusted access for StackSets, as read before any change
    forward_from: list[str] = field(default_factory=list)  # the running account's regions
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def management(self) -> bool:
        return self.account == self.org.management_account


def caller_role(org: Organization, account: str, asked: CallAs | None) -> CallAs:
    actual = CallAs.SELF if account == org.management_account else CallAs.DELEGATED_ADMIN
    if asked is not None and asked is not actual:
        fix = (
            "pass --call-as SELF (or leave it out): this is the management account"
            if actual is CallAs.SELF
            else "run from the management account, or register this account as a delegated "
            "administrator (docs/deploy.md) and pass --call-as DELEGATED_ADMIN"
        )
        raise OperatorError(
            Mistake.BAD_VALUE,
            f"--call-as {asked.value}, but {account} is "
            f"{'the' if actual is CallAs.SELF else 'not the'} management account of {org.id}",
            fix,
        )
    return actual


def plan_organization(
    session: Any, env: str, stages: list[Stage], deployed: list[str], options: OrgOptions
) -> OrgPlan:
    """Read the organization and settle the stack set's targets; no change yet."""
    if not any(stage.region == CENTRAL_REGION for stage in stages):
        raise OperatorError(
            Mistake.STAGE_CONFIG,
            f"--org needs a {env}-{CENTRAL_REGION} stage: its default bus is the central one",
            f"add stage {env}-{CENTRAL_REGION} to .chalice/config.json",
        )
    if CENTRAL_REGION not in deployed:
        raise OperatorError(
            Mistake.STAGE_CONFIG,
            f"--org: the {env}-{CENTRAL_REGION} stage is not deployed, so members would "
            "forward to a bus nothing reads",
            f"deploy it too (leave out --regions, or add {CENTRAL_REGION})",
        )
    account = session.client("sts").get_caller_identity()["Account"]
    org = read_organization(session.client("organizations", region_name=CENTRAL_REGION))
    call_as = caller_role(org, account, options.call_as)
    enabled = enabled_regions(session)
    unknown = sorted(set(options.regions or []) - set(enabled))
    if unknown:
        raise OperatorError(
            Mistake.BAD_VALUE,
            f"--org-regions: {', '.join(unknown)} not enabled in this account",
            f"pick from {', '.join(enabled)}",
        )
    regions = sorted(set(options.regions or enabled))
    spec = StackSetSpec(
        env,
        bus_arn(CENTRAL_REGION, account),
        tuple(checked_units(org, options.units)),
        tuple(regions),
        call_as.value,
        excluded=() if account == org.management_account else (account,),
    )
    cfn = session.client("cloudformation", region_name=CENTRAL_REGION)
    access = read_access(cfn, call_as.value, account, org.management_account)
    plan = OrgPlan(org, account, spec, access, [r for r in regions if r not in deployed])
    if not plan.management:
        plan.notes += management_instructions(env, org, spec)
    return plan


def management_instructions(env: str, org: Organization, spec: StackSetSpec) -> list[str]:
    """StackSets never deploys to the management account, and a delegated administrator
    cannot reach it: the member template, deployed there by hand, region by region."""
    regions = " ".join(spec.regions)
    return [
        f"The management account {org.management_account} is not covered (StackSets never "
        "deploys to it); from it, run:",
        "  python manage.py package --org --out build/org",
        f"  for r in {regions}; do aws cloudformation deploy --region $r "
        f"--stack-name signin-alerts-{env}-member --template-file build/org/member.json "
        f"--capabilities CAPABILITY_NAMED_IAM --parameter-overrides Env={env} "
        f"CentralEventBusArn={spec.bus_arn}; done",
    ]


def ensure_trusted_access(session: Any, plan: OrgPlan, *, dry_run: bool) -> None:
    """Trusted access for StackSets, activated when off (`plan_organization` already
    stopped a delegated administrator that found it off): first, before anything else."""
    cfn = session.client("cloudformation", region_name=CENTRAL_REGION)
    plan.access = ensure_access(cfn, plan.access, plan.changes, dry_run=dry_run)


def apply_organization(session: Any, plan: OrgPlan, *, dry_run: bool) -> None:
    """The bus policy, the stack set and its instances; `plan.changes` says what changed
    (or would). Trusted access is `ensure_trusted_access`'s, the running account's own
    regions `forward()`'s (tools/deploy.py)."""
    events = session.client("events", region_name=CENTRAL_REGION)
    spec = plan.spec
    ensure_org_statement(events, spec.env, plan.org.id, spec.bus_arn, plan.changes, dry_run=dry_run)
    cfn = session.client("cloudformation", region_name=CENTRAL_REGION)
    ensure_stack_set(cfn, spec, plan.changes, dry_run=dry_run)
    ensure_instances(cfn, spec, plan.org, plan.changes, dry_run=dry_run)
    plan.notes += not_current(cfn, spec)


def forwarding_to_do(session: Any, env: str, sources: list[str], deployed: list[str]) -> list[str]:
    """What `forward()` would change in the running account (for --dry-run): the regions
    whose forwarding rule is missing or sends elsewhere."""
    todo = []
    for source in sources:
        target = nearest(source, deployed)
        routes = signin_routes(session.client("events", region_name=source), forward_rule_name(env))
        if not any(route.forwards_to == target for route in routes):
            todo.append(f"{source}: forward sign-ins to {target} (this account's own region)")
    return todo
