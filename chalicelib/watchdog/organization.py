"""Does every account of the organization forward its sign-ins? (ORGANIZATION_WATCH)

One listing of the organization's accounts (`ListAccounts`) and of the env's StackSet
instances (`ListStackInstances`) gives three kinds of finding, each naming the account
and the region and the fix:
- an instance that is not CURRENT (OUTDATED after a failed or stopped operation,
  INOPERABLE after a failed deletion): that account and region may forward nothing;
- an active member with no instance in a region the StackSet covers: its sign-ins there
  go unseen (an account outside the targeted OUs, or an automatic deployment that failed);
- a hint for an active member that sent no sign-in in 30 days (one Query of its own
  partition of the `by_account` index each, `Limit` 1: as many small reads as accounts).
The management account is left out of the instance checks: StackSets never deploy to it,
`manage.py deploy --org` forwards its own regions as `--forward-from` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.store.indexes import ACCOUNT_INDEX, ACCOUNT_PARTITION_ATTRIBUTE
from chalicelib.watchdog.findings import Check, Finding, Status, stack_set_name
from chalicelib.watchdog.pipeline import Clients

QUIET_DAYS = 30
# Organizations' ListAccounts takes at most 20 a page.
ACCOUNTS_PAGE = 20
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class Member:
    account_id: str
    name: str
    active: bool


@dataclass(frozen=True)
class Instance:
    account_id: str
    region: str
    status: str  # CURRENT, OUTDATED, INOPERABLE
    reason: str = ""  # StatusReason or the detailed status (FAILED, CANCELLED, ...)


@dataclass(frozen=True)
class OrganizationView:
    management_account: str
    members: list[Member]
    instances: list[Instance] | None  # None: the StackSet does not exist
    names: Mapping[str, str] = field(default_factory=dict)

    def label(self, account_id: str) -> str:
        name = self.names.get(account_id, "")
        return f"{name} ({account_id})" if name else account_id


def account_state(account: Mapping[str, Any]) -> bool:
    """Active? `State` since September 2026; `Status` (retired) where only it is given."""
    return str(account.get("State") or account.get("Status") or "") == ACTIVE


def read_members(organizations: Any) -> list[Member]:
    """Every account, paging while a NextToken comes (even after an empty page)."""
    members: list[Member] = []
    arguments: dict[str, Any] = {"MaxResults": ACCOUNTS_PAGE}
    while True:
        page = organizations.list_accounts(**arguments)
        for account in page.get("Accounts", []):
            members.append(
                Member(str(account["Id"]), str(account.get("Name", "")), account_state(account))
            )
        token = page.get("NextToken")
        if not token:
            return members
        arguments["NextToken"] = token


def read_instances(cloudformation: Any, env: str, call_as: str) -> list[Instance] | None:
    arguments: dict[str, Any] = {"StackSetName": stack_set_name(env), "CallAs": call_as}
    instances: list[Instance] = []
    while True:
        try:
            page = cloudformation.list_stack_instances(**arguments)
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code == "StackSetNotFoundException":
                return None
            raise
        for summary in page.get("Summaries", []):
            detailed = summary.get("StackInstanceStatus", {}).get("DetailedStatus", "")
            instances.append(
                Instance(
                    str(summary["Account"]),
                    str(summary["Region"]),
                    str(summary.get("Status", "")),
                    str(summary.get("StatusReason") or detailed or ""),
                )
            )
        token = page.get("NextToken")
        if not token:
            return instances
        arguments["NextToken"] = token


def read_view(clients: Clients, region: str, own_account: str, env: str) -> OrganizationView:
    organizations = clients("organizations", region)
    management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    # A delegated administrator of StackSets says so on every call.
    call_as = "SELF" if management == own_account else "DELEGATED_ADMIN"
    members = read_members(organizations)
    instances = read_instances(clients("cloudformation", region), env, call_as)
    names = {member.account_id: member.name for member in members}
    return OrganizationView(str(management), members, instances, names)


def deploy_org(env: str) -> str:
    return f"python manage.py deploy --env {env} --org"


def instance_findings(view: OrganizationView, env: str, region: str) -> list[Finding]:
    """Problems only (the listing's own finding says it ran): each instance not
    CURRENT, and each active member missing from a region the StackSet covers."""
    deploy = deploy_org(env)
    name = stack_set_name(env)
    if view.instances is None:
        what = f"stack set {name} does not exist: no member account forwards its sign-ins"
        return [Finding(Check.ORG_INSTANCE, region, Status.PROBLEM, what, deploy, "stack-set")]
    found: list[Finding] = []
    for instance in sorted(view.instances, key=lambda i: (i.account_id, i.region)):
        if instance.status == "CURRENT":
            continue
        subject = f"{instance.account_id}/{instance.region}"
        reason = f" ({instance.reason})" if instance.reason else ""
        what = (
            f"account {view.label(instance.account_id)} in {instance.region}: its "
            f"{name} instance is {instance.status}{reason}, its sign-ins may go unseen"
        )
        fix = deploy
        if instance.status == "INOPERABLE":
            fix = (
                f"aws cloudformation delete-stack-instances --stack-set-name {name} "
                f"--deployment-targets Accounts={instance.account_id} "
                f"--regions {instance.region} --retain-stacks, then {deploy}"
            )
        found.append(
            Finding(Check.ORG_INSTANCE, instance.region, Status.PROBLEM, what, fix, subject)
        )
    regions = sorted({instance.region for instance in view.instances})
    covered = {(instance.account_id, instance.region) for instance in view.instances}
    for member in sorted(view.members, key=lambda m: m.account_id):
        if not member.active or member.account_id == view.management_account:
            continue
        for missing in regions:
            if (member.account_id, missing) in covered:
                continue
            what = (
                f"account {view.label(member.account_id)} has no {name} instance in "
                f"{missing}: its sign-ins there go unseen"
            )
            fix = f"move it into an OU the stack set targets, or run {deploy}"
            subject = f"{member.account_id}/{missing}"
            found.append(Finding(Check.ORG_INSTANCE, missing, Status.PROBLEM, what, fix, subject))
    return found


def signed_in_since(dynamodb: Any, table: str, account_id: str, since: datetime) -> bool:
    """Any listed sign-in of the account since `since`: one item of its partition."""
    response = dynamodb.query(
        TableName=table,
        IndexName=ACCOUNT_INDEX,
        KeyConditionExpression="#account = :account AND #at >= :since",
        ExpressionAttributeNames={"#account": ACCOUNT_PARTITION_ATTRIBUTE, "#at": "at"},
        ExpressionAttributeValues={
            ":account": {"S": account_id},
            ":since": {"S": f"{max(0, int(since.timestamp())):010d}"},
        },
        ProjectionExpression="#at",
        Limit=1,
    )
    return bool(response.get("Items"))


def quiet_findings(
    view: OrganizationView, dynamodb: Any, table: str, region: str, now: datetime
) -> list[Finding]:
    since = now - timedelta(days=QUIET_DAYS)
    found = []
    for member in sorted(view.members, key=lambda m: m.account_id):
        if not member.active or signed_in_since(dynamodb, table, member.account_id, since):
            continue
        what = f"no sign-in from account {view.label(member.account_id)} in {QUIET_DAYS} days"
        fix = (
            "if people do sign in there, check its forwarding (`python manage.py "
            "audit-regions --org`) and sign in once to test"
        )
        found.append(Finding(Check.ORG_QUIET, region, Status.HINT, what, fix, member.account_id))
    return found


def organization_findings(
    clients: Clients,
    *,
    region: str,
    own_account: str,
    env: str,
    dynamodb: Any,
    table: str,
    now: datetime,
) -> list[Finding]:
    """Every problem and hint of the organization, from one listing (raises when the
    listing cannot be read: the caller reports that as the checks' own problem)."""
    view = read_view(clients, region, own_account, env)
    return instance_findings(view, env, region) + quiet_findings(view, dynamodb, table, region, now)
