"""moto 5.2's service-managed StackSets, made to do what AWS documents.

moto keeps no `AutoDeployment` (describe_stack_set never shows it, so a second deploy
could not tell it is set), deploys to the management account (AWS never does), reaches
only one level of OUs beneath a target (AWS: every depth), ignores `AccountFilterType`,
deletes instances only by account list (service-managed ones are deleted by
`DeploymentTargets`), never deploys automatically to an account that joins a targeted
OU or removes the instances of one that leaves, answers a member (a delegated
administrator) that it is in no organization, and knows no delegated administrator for
StackSets. It has no trusted access for StackSets at all (DescribeOrganizationsAccess
and ActivateOrganizationsAccess are not implemented, and a service-managed stack set is
made without it; AWS refuses one until the management account has activated it). And a
rule whose target is another account's bus puts a new event there, as if the receiving
account had sent it: AWS keeps the sender's `account` and `region` (what names the
member in an alert). `org_ready_moto()` patches the
in-process moto classes for as long as it is open: `make rehearse` and the deploy tests
run under it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
_ABSENT = object()  # what moto lacks: added by the patch, deleted again on exit


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


def _auto_deployment(params: dict[str, Any]) -> dict[str, bool] | None:
    raw = params.get("AutoDeployment")
    if not raw:
        return None
    return {
        "Enabled": _flag(raw.get("Enabled")),
        "RetainStacksOnAccountRemoval": _flag(raw.get("RetainStacksOnAccountRemoval")),
    }


def _members(raw: Any) -> list[str]:
    """A query-protocol list: a list already, or {"member": [...]}/{"1": ...}."""
    if isinstance(raw, list):
        return [str(item) for item in raw]
    if isinstance(raw, dict):
        return [str(item) for item in raw.values()]
    return [str(raw)] if raw else []


def beneath(org: Any, parent_id: str, unit: str) -> bool:
    """Whether `parent_id` is `unit` or an OU anywhere beneath it."""
    parents = {ou.id: ou.parent_id for ou in org.ou}
    while parent_id:
        if parent_id == unit:
            return True
        parent_id = parents.get(parent_id, "")
    return False


def target_accounts(org: Any, targets: dict[str, Any]) -> list[str]:
    """The accounts a service-managed DeploymentTargets reaches, as AWS resolves it."""
    units = _members(targets.get("OrganizationalUnitIds"))
    listed = set(_members(targets.get("Accounts")))
    management = org.org.master_account_id
    reached = [
        a.id
        for a in org.accounts
        if a.id != management and any(beneath(org, a.parent_id, unit) for unit in units)
    ]
    kind = targets.get("AccountFilterType", "NONE")
    if kind == "DIFFERENCE":
        reached = [a for a in reached if a not in listed]
    elif kind == "INTERSECTION":
        reached = [a for a in reached if a in listed]
    return reached


def organization_of(account: str, partition: str) -> Any:
    """The backend holding the organization `account` is in (its own, when it manages
    one or is in none)."""
    from moto.organizations.models import organizations_backends

    master, _ = organizations_backends.master_accounts.get(account, (account, partition))
    return organizations_backends[master][partition]


def _stack_sets_of(account: str | None = None) -> Iterator[Any]:
    """Service-managed stack sets of `account`, or of every account."""
    from moto.cloudformation.models import cloudformation_backends

    accounts = [account] if account else list(cloudformation_backends.keys())
    for owner in accounts:
        for backend in list(cloudformation_backends[owner].values()):
            for stack_set in backend.stacksets.values():
                if stack_set.status == "ACTIVE" and stack_set.permission_model == "SERVICE_MANAGED":
                    yield stack_set


def _follow_account(org: Any, account_id: str) -> None:
    """Automatic deployment after an account joined, moved or left."""
    account = next((a for a in org.accounts if a.id == account_id), None)
    for stack_set in _stack_sets_of():
        if stack_set.instances.org_backend is not org:
            continue
        auto = getattr(stack_set, "auto_deployment", None) or {}
        if not auto.get("Enabled"):
            continue
        units: set[str] = getattr(stack_set, "target_units", set())
        regions = sorted(getattr(stack_set, "target_regions", set()))
        inside = account is not None and any(beneath(org, account.parent_id, u) for u in units)
        have = [i for i in stack_set.instances.stack_instances if i.account_id == account_id]
        if inside and regions:
            parameters = stack_set.parameters
            if isinstance(parameters, dict):
                parameters = [
                    {"ParameterKey": key, "ParameterValue": value}
                    for key, value in parameters.items()
                ]
            stack_set.instances.create_instances(
                [account_id], regions, parameters, {}, "SERVICE_MANAGED"
            )
        elif not inside and have and not auto.get("RetainStacksOnAccountRemoval"):
            stack_set.instances.delete([account_id], [i.region_name for i in have])


def trusted_access_enabled(org: Any) -> bool:
    """Whether the management account activated trusted access for StackSets (AWS keeps
    it as Organizations' service access for the StackSets principal)."""
    return any(service["ServicePrincipal"] == STACKSETS_PRINCIPAL for service in org.services)


def stacksets_administrator(org: Any, account: str) -> bool:
    """Whether `account` is registered as a delegated administrator for StackSets."""
    admins = [admin for admin in org.admins if admin.account.id == account]
    return any(STACKSETS_PRINCIPAL in admin.services for admin in admins)


def _refusal(code: str, message: str) -> Exception:
    from moto.cloudformation.exceptions import CloudFormationError

    return CloudFormationError(code, message)


def access_caller(response: Any, call_as: str, *, activating: bool = False) -> Any:
    """The organization of the caller of DescribeOrganizationsAccess (or, `activating`,
    ActivateOrganizationsAccess), or AWS's refusal: the management account calls as
    SELF, a registered delegated administrator as DELEGATED_ADMIN and only to read."""
    account = response.current_account
    org = organization_of(account, response.partition)
    if org.org is None:
        raise _refusal("InvalidOperationException", f"Account {account} is not in an organization")
    management = org.org.master_account_id == account
    if call_as == "DELEGATED_ADMIN" and not stacksets_administrator(org, account):
        raise _refusal("ValidationError", "Account used is not a delegated administrator")
    if call_as != "DELEGATED_ADMIN" and not management:
        raise _refusal(
            "InvalidOperationException",
            "Only the management account can call this as SELF; a delegated administrator "
            "passes CallAs DELEGATED_ADMIN",
        )
    if activating and not management:
        raise _refusal(
            "InvalidOperationException",
            "Only the management account can activate trusted access with Organizations",
        )
    return org


def describe_organizations_access(self: Any) -> Any:
    from moto.core.responses import ActionResult

    org = access_caller(self, self._get_param("CallAs") or "SELF")
    return ActionResult({"Status": "ENABLED" if trusted_access_enabled(org) else "DISABLED"})


def activate_organizations_access(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    org = access_caller(self, self._get_param("CallAs") or "SELF", activating=True)
    org.enable_aws_service_access(ServicePrincipal=STACKSETS_PRINCIPAL)
    return EmptyResult()


def _is_bus(target: dict[str, Any]) -> bool:
    return ":event-bus/" in str(target.get("Arn", ""))


def _deliver_to_bus(arn: str, event: Any) -> None:
    """The event, as it was, to every rule of the bus at `arn` (any account, region)."""
    from moto.events.models import events_backends

    _, _, _, region, account, resource = arn.split(":", 5)
    bus = events_backends[account][region].describe_event_bus(resource.split("/", 1)[1])
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event))


@contextmanager
def org_ready_moto() -> Iterator[None]:
    from moto.cloudformation.models import StackInstances, StackSet
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.events.models import Rule
    from moto.organizations.models import FakeDelegatedAdministrator, OrganizationsBackend

    originals: dict[tuple[Any, str], Any] = {}

    def patch(owner: Any, name: str, replacement: Any) -> None:
        originals[(owner, name)] = getattr(owner, name, _ABSENT)
        setattr(owner, name, replacement)

    def original(owner: Any, name: str) -> Any:
        return originals[(owner, name)]

    def keeping_auto_deployment(name: str) -> Any:
        def handler(self: Any) -> Any:
            if name == "create_stack_set":
                refuse_without_trusted_access(self)
            result = original(CloudFormationResponse, name)(self)
            auto = _auto_deployment(self._get_params())
            if auto is not None:
                backend = self.cloudformation_backend
                backend.describe_stack_set(self._get_param("StackSetName")).auto_deployment = auto
            return result

        return handler

    def refuse_without_trusted_access(self: Any) -> None:
        if self._get_param("PermissionModel") != "SERVICE_MANAGED":
            return
        org = organization_of(self.current_account, self.partition)
        if org.org is None or not trusted_access_enabled(org):
            raise _refusal(
                "ValidationError",
                "You must enable organizations access to operate a service managed stack set",
            )

    def create_instances(
        self: Any,
        accounts: list[str],
        regions: list[str],
        parameters: Any,
        deployment_targets: dict[str, Any],
        permission_model: str,
    ) -> Any:
        if permission_model == "SERVICE_MANAGED" and deployment_targets:
            stack_set = next(s for s in _stack_sets_of(self.account_id) if s.id == self.stackset_id)
            stack_set.target_units = getattr(stack_set, "target_units", set()) | set(
                _members(deployment_targets.get("OrganizationalUnitIds"))
            )
            stack_set.target_regions = getattr(stack_set, "target_regions", set()) | set(regions)
            accounts = target_accounts(self.org_backend, deployment_targets)
            deployment_targets = {}
        return original(StackInstances, "create_instances")(
            self, accounts, regions, parameters, deployment_targets, permission_model
        )

    def delete_stack_instances(self: Any) -> Any:
        targets = self._get_params().get("DeploymentTargets")
        if targets and not self._get_param("Accounts"):
            name = self._get_param("StackSetName")
            stack_set = self.cloudformation_backend.describe_stack_set(name)
            accounts = target_accounts(stack_set.instances.org_backend, targets)
            regions = self._get_param("Regions", [])
            stack_set.delete_stack_instances(accounts, regions)
            left = {i.region_name for i in stack_set.instances.stack_instances}
            stack_set.target_regions = getattr(stack_set, "target_regions", set()) & left
            return _operation_result(stack_set)
        return original(CloudFormationResponse, "delete_stack_instances")(self)

    def following(name: str) -> Any:
        def method(self: Any, **kwargs: Any) -> Any:
            result = original(OrganizationsBackend, name)(self, **kwargs)
            account = kwargs.get("AccountId") or (result or {}).get("CreateAccountStatus", {}).get(
                "AccountId"
            )
            if account:
                _follow_account(self, account)
            return result

        return method

    from moto.organizations.responses import OrganizationsResponse

    def members_organization(self: Any) -> Any:
        return organization_of(self.current_account, self.partition)

    def stack_sets_organization(self: Any) -> Any:
        return organization_of(self.account_id, self.partition)

    patch(OrganizationsResponse, "organizations_backend", property(members_organization))
    patch(StackInstances, "org_backend", property(stack_sets_organization))

    def send_to_targets(self: Any, event: Any, transform_input: bool = True) -> None:
        buses = [t for t in self.targets if _is_bus(t)]
        if buses and self.event_pattern.matches_event(event):
            for target in buses:
                _deliver_to_bus(target["Arn"], event)
        others = copy.copy(self)
        others.targets = [t for t in self.targets if not _is_bus(t)]
        original(Rule, "send_to_targets")(others, event, transform_input)

    patch(Rule, "send_to_targets", send_to_targets)
    services = FakeDelegatedAdministrator.SUPPORTED_SERVICES
    patch(FakeDelegatedAdministrator, "SUPPORTED_SERVICES", [*services, STACKSETS_PRINCIPAL])
    StackSet.auto_deployment = None  # type: ignore[attr-defined]
    patch(CloudFormationResponse, "create_stack_set", keeping_auto_deployment("create_stack_set"))
    patch(CloudFormationResponse, "update_stack_set", keeping_auto_deployment("update_stack_set"))
    patch(CloudFormationResponse, "delete_stack_instances", delete_stack_instances)
    patch(CloudFormationResponse, "describe_organizations_access", describe_organizations_access)
    patch(CloudFormationResponse, "activate_organizations_access", activate_organizations_access)
    patch(StackInstances, "create_instances", create_instances)
    for name in ("create_account", "move_account", "remove_account_from_organization"):
        patch(OrganizationsBackend, name, following(name))
    try:
        yield
    finally:
        for (owner, name), method in originals.items():
            if method is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, method)
        del StackSet.auto_deployment  # type: ignore[attr-defined]


def _operation_result(stack_set: Any) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult({"OperationId": stack_set.operations[-1]["OperationId"]})
