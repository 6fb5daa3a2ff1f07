"""The organization's StackSet: the member template in every targeted account and region.

SERVICE_MANAGED with automatic deployment (an account that joins a targeted OU gets its
instances with no deploy; one that leaves loses them, RetainStacksOnAccountRemoval
false). Each step reads first and writes only what differs, so a second run changes
nothing; with `dry_run` it only says what it would change. StackSets runs one
operation at a time per stack set: each is waited for before the next.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Named in chalicelib: the watchdog checks this stack set's instances from Lambda.
from chalicelib.watchdog.findings import stack_set_name as stack_set_name
from tools.org_template import BUS_PARAMETER, ENV_PARAMETER, template_body
from tools.organization import Organization
from tools.stages import APP_NAME

AUTO_DEPLOYMENT = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
# Every region at once, every account at once, and one member's failure (a region it has
# not enabled) never holds the others back: what failed is reported, and the watchdog
# keeps flagging it. (Automatic deployments do not follow these.)
OPERATION_PREFERENCES = {
    "RegionConcurrencyType": "PARALLEL",
    "MaxConcurrentPercentage": 100,
    "FailureTolerancePercentage": 100,
}
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]
DONE = {"SUCCEEDED", "FAILED", "STOPPED"}
POLL_SECONDS = 5.0
WAIT_SECONDS = 3600.0


class StackSetError(RuntimeError):
    """A StackSets operation did not succeed; the message says where to look."""


@dataclass(frozen=True)
class StackSetSpec:
    env: str
    bus_arn: str
    units: tuple[str, ...]  # OU ids, or the root id
    regions: tuple[str, ...]
    call_as: str  # SELF (management account) or DELEGATED_ADMIN
    excluded: tuple[str, ...] = ()  # members covered otherwise (the central account)

    @property
    def name(self) -> str:
        return stack_set_name(self.env)

    @property
    def parameters(self) -> list[dict[str, str]]:
        return [
            {"ParameterKey": BUS_PARAMETER, "ParameterValue": self.bus_arn},
            {"ParameterKey": ENV_PARAMETER, "ParameterValue": self.env},
        ]

    @property
    def description(self) -> str:
        return f"{APP_NAME} {self.env}: forward each account's sign-ins to {self.bus_arn}"

    def targets(self, units: list[str] | None = None) -> dict[str, Any]:
        targets: dict[str, Any] = {"OrganizationalUnitIds": sorted(units or self.units)}
        if self.excluded:
            targets |= {"AccountFilterType": "DIFFERENCE", "Accounts": sorted(self.excluded)}
        return targets

    def expected(self, org: Organization) -> set[tuple[str, str]]:
        """(account, region) of every active account targeted (StackSets never deploys to
        the management account)."""
        skip = {org.management_account, *self.excluded}
        accounts = [a.id for a in org.accounts_in(list(self.units)) if a.active]
        return {(a, r) for a in accounts if a not in skip for r in self.regions}


@dataclass(frozen=True)
class Instance:
    account: str
    region: str
    status: str  # CURRENT, OUTDATED, INOPERABLE


def current_stack_set(cfn: Any, name: str, call_as: str) -> dict[str, Any] | None:
    try:
        described: dict[str, Any] = cfn.describe_stack_set(StackSetName=name, CallAs=call_as)[
            "StackSet"
        ]
    except cfn.exceptions.StackSetNotFoundException:
        return None
    return described


def instances(cfn: Any, name: str, call_as: str) -> list[Instance]:
    found: list[Instance] = []
    token: str | None = None
    while True:
        try:
            page = cfn.list_stack_instances(
                StackSetName=name, CallAs=call_as, **({"NextToken": token} if token else {})
            )
        except cfn.exceptions.StackSetNotFoundException:
            return []  # a dry run before the first deploy
        found += [
            Instance(s["Account"], s["Region"], s.get("Status", "")) for s in page["Summaries"]
        ]
        token = page.get("NextToken")
        if not token:
            return sorted(found, key=lambda i: (i.account, i.region))


def wait(
    cfn: Any,
    name: str,
    operation_id: str,
    call_as: str,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    waited = 0.0
    while True:
        operation = cfn.describe_stack_set_operation(
            StackSetName=name, OperationId=operation_id, CallAs=call_as
        )["StackSetOperation"]
        if operation["Status"] in DONE:
            break
        if waited >= WAIT_SECONDS:
            raise StackSetError(f"stack set {name}: operation {operation_id} still running")
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS
    if operation["Status"] != "SUCCEEDED":
        raise StackSetError(
            f"stack set {name}: operation {operation_id} {operation['Status']}; see "
            f"aws cloudformation list-stack-set-operation-results --stack-set-name {name} "
            f"--operation-id {operation_id} --call-as {call_as}"
        )


def _differences(current: dict[str, Any], spec: StackSetSpec) -> list[str]:
    import json

    differences = []
    if json.loads(current.get("TemplateBody") or "{}") != json.loads(template_body()):
        differences.append("template")
    parameters = sorted(current.get("Parameters") or [], key=lambda p: p["ParameterKey"])
    if [{k: p[k] for k in ("ParameterKey", "ParameterValue")} for p in parameters] != (
        spec.parameters
    ):
        differences.append("parameters")
    auto = current.get("AutoDeployment") or {}
    if {key: auto.get(key) for key in AUTO_DEPLOYMENT} != AUTO_DEPLOYMENT:  # not DependsOn
        differences.append("automatic deployment")
    if current.get("Description") != spec.description:
        differences.append("description")
    return differences


def ensure_stack_set(cfn: Any, spec: StackSetSpec, changes: list[str], *, dry_run: bool) -> None:
    current = current_stack_set(cfn, spec.name, spec.call_as)
    settings = {
        "StackSetName": spec.name,
        "Description": spec.description,
        "TemplateBody": template_body(),
        "Parameters": spec.parameters,
        "Capabilities": CAPABILITIES,
        "AutoDeployment": AUTO_DEPLOYMENT,
        "CallAs": spec.call_as,
    }
    if current is None:
        changes.append(f"created stack set {spec.name} (service-managed, automatic deployment)")
        if not dry_run:
            cfn.create_stack_set(PermissionModel="SERVICE_MANAGED", **settings)
        return
    if current.get("PermissionModel") != "SERVICE_MANAGED":
        raise StackSetError(
            f"stack set {spec.name} exists but is {current.get('PermissionModel')}: "
            f"delete it (python manage.py remove --env {spec.env} --org) and deploy again"
        )
    differences = _differences(current, spec)
    if not differences:
        return
    changes.append(f"stack set {spec.name}: updated {', '.join(differences)} (every instance)")
    if not dry_run:
        operation = str(uuid.uuid4())
        cfn.update_stack_set(
            **settings, OperationId=operation, OperationPreferences=OPERATION_PREFERENCES
        )
        wait(cfn, spec.name, operation, spec.call_as)


def ensure_instances(
    cfn: Any, spec: StackSetSpec, org: Organization, changes: list[str], *, dry_run: bool
) -> None:
    """Instances in every targeted active account and region; none elsewhere."""
    have = {(i.account, i.region) for i in instances(cfn, spec.name, spec.call_as)}
    wanted = spec.expected(org)
    missing = wanted - have
    if missing:
        regions = sorted({region for _, region in missing})
        accounts = sorted({account for account, _ in missing})
        changes.append(
            f"stack set {spec.name}: instances for {len(accounts)} account(s) in "
            f"{', '.join(regions)}"
        )
        if not dry_run:
            operation = cfn.create_stack_instances(
                StackSetName=spec.name,
                DeploymentTargets=spec.targets(),
                Regions=regions,
                OperationPreferences=OPERATION_PREFERENCES,
                CallAs=spec.call_as,
            )["OperationId"]
            wait(cfn, spec.name, operation, spec.call_as)
    targeted = {account for account, _ in wanted}
    dropped_regions = sorted({region for _, region in have} - set(spec.regions))
    if dropped_regions:
        changes.append(f"stack set {spec.name}: no instances in {', '.join(dropped_regions)}")
        if not dry_run:
            delete_instances(cfn, spec, [org.root], None, dropped_regions)
    untargeted = sorted({a for a, r in have if r in spec.regions} - targeted)
    if untargeted:
        changes.append(f"stack set {spec.name}: no instances in accounts {', '.join(untargeted)}")
        if not dry_run:
            delete_instances(cfn, spec, [org.root], untargeted, list(spec.regions))


def not_current(cfn: Any, spec: StackSetSpec) -> list[str]:
    """Instances that failed or fell behind, one line each, with where to look."""
    lines = [
        f"instance {i.account} {i.region}: {i.status or 'unknown'}"
        for i in instances(cfn, spec.name, spec.call_as)
        if i.status != "CURRENT"
    ]
    if lines:
        lines.append(
            f"see aws cloudformation list-stack-instances --stack-set-name {spec.name} "
            f"--call-as {spec.call_as} (StatusReason); fix the account, then deploy again"
        )
    return lines


def delete_instances(
    cfn: Any, spec: StackSetSpec, units: list[str], accounts: list[str] | None, regions: list[str]
) -> None:
    """The instances of `accounts` (all, when None) beneath `units`, in `regions`; their
    stacks go too (RetainStacks false)."""
    targets: dict[str, Any] = {"OrganizationalUnitIds": units}
    if accounts:
        targets |= {"AccountFilterType": "INTERSECTION", "Accounts": accounts}
    operation = cfn.delete_stack_instances(
        StackSetName=spec.name,
        DeploymentTargets=targets,
        Regions=regions,
        RetainStacks=False,
        OperationPreferences=OPERATION_PREFERENCES,
        CallAs=spec.call_as,
    )["OperationId"]
    wait(cfn, spec.name, operation, spec.call_as)


def remove_stack_set(
    cfn: Any, spec: StackSetSpec, org: Organization, changes: list[str], *, dry_run: bool = False
) -> None:
    if current_stack_set(cfn, spec.name, spec.call_as) is None:
        return
    have = instances(cfn, spec.name, spec.call_as)
    if have:
        regions = sorted({i.region for i in have})
        accounts = len({i.account for i in have})
        changes.append(
            f"stack set {spec.name}: deleted {len(have)} instance(s) of {accounts} account(s)"
        )
        if not dry_run:
            delete_instances(cfn, spec, [org.root], None, regions)
    changes.append(f"deleted stack set {spec.name}")
    if not dry_run:
        try:
            cfn.delete_stack_set(StackSetName=spec.name, CallAs=spec.call_as)
        except cfn.exceptions.StackSetNotEmptyException:
            left = ", ".join(
                f"{i.account} {i.region}" for i in instances(cfn, spec.name, spec.call_as)
            )
            raise StackSetError(
                f"stack set {spec.name} still has instances ({left}): their stacks could not "
                "be deleted; see their StatusReason (aws cloudformation list-stack-instances), "
                "then run remove --org again"
            ) from None
