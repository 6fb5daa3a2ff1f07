"""GIVEN an organization (OUs nested two deep, member accounts in each, one at the root)
and a central bus that already lets another account in, on the emulator (moto, made to
run service-managed StackSets as AWS documents: localdev/org_moto.py) WHEN
`manage.py deploy --env prod --org` runs from the management account THEN the bus lets
the organization in (and still the other account), one stack set reaches every member
in every enabled region (never the management account), the management account's own
regions forward as `--forward-from` does, a member's sign-in reaches the central bus, a
second run changes nothing, an account that joins later gets its instances with no
deploy, `--dry-run` changes nothing, and `remove --org` leaves nothing of it. Trusted
access for StackSets starts off: the management account's deploy activates it, a
delegated administrator's stops before making anything. The us-east-1 stage ends up
watching the organization (ORGANIZATION_WATCH, in the config, its policy and the deployed
stage) with no second step, and stops again with `remove --org`."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.signin.pattern import FORWARDED_PATTERNS
from localdev.inventory import account_inventory, region_inventory
from localdev.lambda_targets import LambdaEvents
from localdev.org_moto import STACKSETS_PRINCIPAL
from localdev.rehearsal import copy_project, environment
from tests.deploy.conftest import FakeAws
from tests.deploy.iam import Call, allows
from tests.deploy.operator import Run, run_manage
from tools.forwarding import forward_rule_name
from tools.mistakes import OperatorError
from tools.org_bus import statement_id
from tools.org_deploy import CallAs, OrgOptions, apply_organization, plan_organization
from tools.org_stackset import stack_set_name
from tools.org_template import member_role_name
from tools.org_watch import WATCH_SETTING
from tools.policy import policy_path
from tools.regions import OTHER_PARTITIONS
from tools.remove import remove_org
from tools.stages import env_stages, load_stages

EVENTS = Path(__file__).parent.parent / "events"
MANAGEMENT = "123456789012"  # moto's default account: it creates the organization
CENTRAL_BUS = f"arn:aws:events:us-east-1:{MANAGEMENT}:event-bus/default"
STACK_SET = stack_set_name("prod")
OTHER_STATEMENT = {
    "Sid": "partner-account",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "events:PutEvents",
    "Resource": CENTRAL_BUS,
}


@dataclass
class Org:
    id: str
    root: str
    units: dict[str, str]  # name -> OU id
    members: dict[str, str]  # name -> account id


def make_organization(aws: FakeAws) -> Org:
    organizations = aws.client("organizations")
    org_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    units: dict[str, str] = {}
    for name, parent in (("Workloads", root), ("Prod", "Workloads"), ("Sandbox", root)):
        units[name] = organizations.create_organizational_unit(
            ParentId=units.get(parent, parent), Name=name
        )["OrganizationalUnit"]["Id"]
    members = {
        name: join(aws, name, unit)
        for name, unit in (
            ("payments-prod", units["Prod"]),
            ("payments-dev", units["Workloads"]),
            ("sandbox-1", units["Sandbox"]),
            ("loose", root),
        )
    }
    return Org(org_id, root, units, members)


def join(aws: FakeAws, name: str, unit: str) -> str:
    organizations = aws.client("organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
    account: str = status["CreateAccountStatus"]["AccountId"]
    if unit != root:
        organizations.move_account(AccountId=account, SourceParentId=root, DestinationParentId=unit)
    return account


def as_member(aws: FakeAws, account: str, service: str, region: str) -> Any:
    """A client with the member's own credentials (the role Organizations gives it)."""
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="org-test",
    )["Credentials"]
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=region,
        endpoint_url=aws.endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def instances(aws: FakeAws) -> set[tuple[str, str]]:
    cfn = aws.client("cloudformation")
    try:
        summaries = cfn.list_stack_instances(StackSetName=STACK_SET)["Summaries"]
    except cfn.exceptions.StackSetNotFoundException:
        return set()
    return {(s["Account"], s["Region"]) for s in summaries}


def bus_statements(aws: FakeAws) -> list[dict[str, Any]]:
    policy = aws.client("events").describe_event_bus(Name="default").get("Policy")
    return list(json.loads(policy)["Statement"]) if policy else []


def enabled_regions(aws: FakeAws) -> list[str]:
    regions = aws.client("ec2").describe_regions()["Regions"]
    return sorted(
        r["RegionName"] for r in regions if not r["RegionName"].startswith(OTHER_PARTITIONS)
    )


def forwarding_regions(aws: FakeAws) -> list[str]:
    found = []
    for region in enabled_regions(aws):
        names = [r["Name"] for r in aws.client("events", region).list_rules()["Rules"]]
        if forward_rule_name("prod") in names:
            found.append(region)
    return found


@dataclass
class OrgDeployed:
    org: Org
    regions: list[str]
    deploy: Run
    instances: set[tuple[str, str]]
    statements: list[dict[str, Any]]
    stack_set: dict[str, Any]
    forwarding: list[str]
    again: Run
    late: str
    late_instances: set[tuple[str, str]]
    after_join: Run
    dry_run: Run
    dry_run_nothing: Run
    instances_after_dry_run: set[tuple[str, str]]
    arrived: LambdaEvents
    wrong_caller: Run
    unknown_unit: Run
    remove: Run
    remove_again: Run
    statements_after_remove: list[dict[str, Any]]
    instances_after_remove: set[tuple[str, str]]
    forwarding_after_remove: list[str]
    member_rules_after_remove: list[str]
    member_roles_after_remove: list[str]
    member_view: dict[str, Any]
    unknown_region: Run
    delegated: Delegated
    remove_stages: Run
    left_at_the_end: list[str]  # anything of prod in the management account but its ledger
    access: AccessSeen
    watch: Watch


@dataclass
class Delegated:
    """A delegated administrator (payments-dev) deploying and removing the organization."""

    admin: str
    notes: list[str]
    instances: set[tuple[str, str]]
    statements: list[dict[str, Any]]
    as_self: str  # the mistake --call-as SELF is from a member
    removed: list[str]
    instances_after_remove: set[tuple[str, str]]


@dataclass
class AccessSeen:
    """Trusted access for StackSets, off at first, through the first runs."""

    before: str
    first_dry_run: Run
    after_dry_run: str
    delegated_refused: Run
    unregistered: Run  # a member StackSets does not know as a delegated administrator
    after_refusal: str
    made_by_refused_admin: list[str]  # anything the refused run left in its account
    config_untouched: bool  # config.json and policy files as they were before both runs
    after_deploy: str


@dataclass
class Watch:
    """The us-east-1 stage's ORGANIZATION_WATCH: config, policy file, deployed stage."""

    config_after_deploy: str | None
    policy_after_deploy: dict[str, Any]
    function_after_deploy: str | None
    role_policies_after_deploy: list[dict[str, Any]]
    config_after_remove: str | None
    policy_after_remove: dict[str, Any]
    function_after_remove: str | None


def access_status(aws: FakeAws) -> str:
    return str(aws.client("cloudformation").describe_organizations_access()["Status"])


def project_files(project: Path) -> dict[str, str]:
    """.chalice/config.json and every policy file, as text."""
    return {path.name: path.read_text() for path in sorted((project / ".chalice").glob("*.json"))}


def watch_setting(project: Path) -> str | None:
    return load_stages(project)["prod-us-east-1"].environment.get(WATCH_SETTING)


def stage_policy_file(project: Path) -> dict[str, Any]:
    stage = load_stages(project)["prod-us-east-1"]
    policy: dict[str, Any] = json.loads(policy_path(stage, project).read_text())
    return policy


def watchdog_function(aws: FakeAws) -> dict[str, Any]:
    configuration: dict[str, Any] = aws.client("lambda").get_function_configuration(
        FunctionName="signin-alerts-prod-us-east-1-watchdog"
    )
    return configuration


def deployed_watch_setting(aws: FakeAws) -> str | None:
    variables: dict[str, str] = watchdog_function(aws).get("Environment", {}).get("Variables", {})
    return variables.get(WATCH_SETTING)


def role_policies(aws: FakeAws) -> list[dict[str, Any]]:
    """The inline policies of the deployed watchdog's role (what Chalice put there)."""
    role = watchdog_function(aws)["Role"].rsplit("/", 1)[-1]
    iam = aws.client("iam")
    return [
        document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]


def as_refused_delegated_admin(aws: FakeAws, admin: str, project: Path) -> Run:
    """`manage.py deploy --org --call-as DELEGATED_ADMIN` with the admin's credentials."""
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{admin}:role/OrganizationAccountAccessRole",
        RoleSessionName="org-admin",
    )["Credentials"]
    with environment(
        {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        }
    ):
        return run_manage(
            "deploy", "--env", "prod", "--org", "--call-as", "DELEGATED_ADMIN",
            "--project-dir", str(project),
        )  # fmt: skip


def made_in(aws: FakeAws, account: str) -> list[str]:
    """Anything of prod in `account`, region by region (its ledger too), its roles and
    its bus policy."""
    clients = lambda service, region: as_member(aws, account, service, region)  # noqa: E731
    made = [
        f"{inventory.region}: {line}"
        for region in enabled_regions(aws)
        for inventory in [region_inventory(clients, region, "signin-alerts", "prod")]
        for line in inventory.lines()
    ]
    made += [line for line in account_inventory(clients, "signin-alerts", "prod") if "IAM" in line]
    if as_member(aws, account, "events", "us-east-1").describe_event_bus().get("Policy"):
        made.append("a bus policy")
    return made


def member_session(aws: FakeAws, account: str) -> Any:
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="org-admin",
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def as_delegated_admin(aws: FakeAws, org: Org, project: Path) -> Delegated:
    admin = org.members["payments-dev"]  # registered before the first deploy
    session = member_session(aws, admin)
    stages = env_stages("prod", None, project)
    options = OrgOptions(regions=["us-east-1", "eu-west-1"], call_as=CallAs.DELEGATED_ADMIN)
    plan = plan_organization(session, "prod", stages, ["us-east-1", "us-west-2"], options)
    apply_organization(session, plan, dry_run=False)
    cfn = session.client("cloudformation", region_name="us-east-1")
    summaries = cfn.list_stack_instances(StackSetName=STACK_SET, CallAs="DELEGATED_ADMIN")
    policy = session.client("events", region_name="us-east-1").describe_event_bus()["Policy"]
    with pytest.raises(OperatorError) as as_self:
        plan_organization(session, "prod", stages, ["us-east-1"], OrgOptions(call_as=CallAs.SELF))
    removed = remove_org("prod", CallAs.DELEGATED_ADMIN, project, session)
    return Delegated(
        admin,
        plan.notes,
        {(s["Account"], s["Region"]) for s in summaries["Summaries"]},
        json.loads(policy)["Statement"],
        as_self.value.line(),
        removed,
        instances(aws),
    )


def document(policy: Any) -> dict[str, Any]:
    """IAM returns policy documents decoded; moto, for a role CloudFormation made, the
    text of the template's dict (Python's repr, not JSON)."""
    if not isinstance(policy, str):
        return dict(policy)
    try:
        return dict(json.loads(policy))
    except ValueError:
        return dict(ast.literal_eval(policy))


def member_view(aws: FakeAws, account: str, region: str) -> dict[str, Any]:
    """What one member holds in one region: its forwarding rule, target and role."""
    events = as_member(aws, account, "events", region)
    iam = as_member(aws, account, "iam", region)
    role = member_role_name("prod", region)
    policy_names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    return {
        "rules": [r["Name"] for r in events.list_rules()["Rules"]],
        "pattern": json.loads(events.describe_rule(Name=forward_rule_name("prod"))["EventPattern"]),
        "targets": events.list_targets_by_rule(Rule=forward_rule_name("prod"))["Targets"],
        "role_arn": iam.get_role(RoleName=role)["Role"]["Arn"],
        "trust": document(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]),
        "policies": {
            name: document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
            for name in policy_names
        },
        "attached": iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"],
    }


def sign_in_through_member(aws: FakeAws, account: str, region: str) -> LambdaEvents:
    """A member's sign-in put on its own bus; what the central bus's rules handed to the
    stage's functions (moto keeps it: localdev/lambda_targets.py)."""
    record = json.loads((EVENTS / "member_account_forwarded.json").read_text())
    detail = {**record["detail"], "recipientAccountId": account, "awsRegion": region}
    before = len(aws.lambda_events)
    as_member(aws, account, "events", region).put_events(
        Entries=[
            {
                "Source": record["source"],
                "DetailType": record["detail-type"],
                "Detail": json.dumps(detail),
            }
        ]
    )
    return aws.lambda_events[before:]


def left_of_prod(aws: FakeAws) -> list[str]:
    """What the management account still holds of prod, region by region, but the ledger
    (kept by design); its roles; the stack set; the bus statement."""
    clients = lambda service, region: aws.client(service, region)  # noqa: E731
    left = [
        f"{inventory.region}: {line}"
        for region in enabled_regions(aws)
        for inventory in [region_inventory(clients, region, "signin-alerts", "prod")]
        for line in inventory.lines()
        if not line.startswith("DynamoDB tables")
    ]
    left += [line for line in account_inventory(clients, "signin-alerts", "prod") if "IAM" in line]
    left += [f"stack set instance {i}" for i in instances(aws)]
    left += [f"bus statement {s['Sid']}" for s in bus_statements(aws) if s != OTHER_STATEMENT]
    return left


def members_rules(aws: FakeAws, members: list[str]) -> list[str]:
    """Every EventBridge rule of `members`, in every region: `account region rule`."""
    return [
        f"{member} {region} {rule['Name']}"
        for member in members
        for region in enabled_regions(aws)
        for rule in as_member(aws, member, "events", region).list_rules()["Rules"]
    ]


def members_roles(aws: FakeAws, members: list[str]) -> list[str]:
    """Every IAM role of `members` but the one Organizations made them."""
    return [
        f"{member} {role['RoleName']}"
        for member in members
        for role in as_member(aws, member, "iam", "us-east-1").list_roles()["Roles"]
        if role["RoleName"] != "OrganizationAccountAccessRole"
    ]


@pytest.fixture(scope="module")
def deployed(fake_aws: FakeAws, tmp_path_factory: pytest.TempPathFactory) -> OrgDeployed:
    project = copy_project(tmp_path_factory.mktemp("org"))
    fake_aws.ready_for_deploy("prod", project)
    org = make_organization(fake_aws)
    fake_aws.client("events").put_permission(
        EventBusName="default",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [OTHER_STATEMENT]}),
    )
    where = ("--project-dir", str(project))
    admin = org.members["payments-dev"]
    unregistered = as_refused_delegated_admin(fake_aws, org.members["sandbox-1"], project)
    fake_aws.client("organizations").register_delegated_administrator(
        AccountId=admin, ServicePrincipal=STACKSETS_PRINCIPAL
    )
    files_before = project_files(project)
    access_before = access_status(fake_aws)
    first_dry_run = run_manage("deploy", "--env", "prod", "--org", "--dry-run", *where)
    access_after_dry_run = access_status(fake_aws)
    delegated_refused = as_refused_delegated_admin(fake_aws, admin, project)
    access_after_refusal = access_status(fake_aws)
    made_by_refused_admin = made_in(fake_aws, admin)
    config_untouched = project_files(project) == files_before
    wrong_caller = run_manage(
        "deploy", "--env", "prod", "--org", "--call-as", "DELEGATED_ADMIN", *where
    )
    unknown_unit = run_manage("deploy", "--env", "prod", "--org", "--org-units", "ou-zz", *where)
    unknown_region = run_manage(
        "deploy", "--env", "prod", "--org", "--org-regions", "us-est-1", *where
    )
    deploy = run_manage("deploy", "--env", "prod", "--org", *where)
    access = AccessSeen(
        access_before, first_dry_run, access_after_dry_run, delegated_refused, unregistered,
        access_after_refusal, made_by_refused_admin, config_untouched, access_status(fake_aws),
    )  # fmt: skip
    watching = (
        watch_setting(project), stage_policy_file(project), deployed_watch_setting(fake_aws),
        role_policies(fake_aws),
    )  # fmt: skip
    view = member_view(fake_aws, org.members["payments-prod"], "ap-southeast-2")
    made = instances(fake_aws)
    statements = bus_statements(fake_aws)
    stack_set = fake_aws.client("cloudformation").describe_stack_set(StackSetName=STACK_SET)
    forwarding = forwarding_regions(fake_aws)
    again = run_manage("deploy", "--env", "prod", "--org", *where)
    late = join(fake_aws, "late-joiner", org.units["Sandbox"])
    late_instances = {i for i in instances(fake_aws) if i[0] == late}
    after_join = run_manage("deploy", "--env", "prod", "--org", *where)
    narrower = ("--org-regions", "us-east-1,us-west-2", "--org-units", org.units["Workloads"])
    dry_run = run_manage("deploy", "--env", "prod", "--org", *narrower, "--dry-run", *where)
    dry_run_nothing = run_manage("deploy", "--env", "prod", "--org", "--dry-run", *where)
    instances_after_dry_run = instances(fake_aws)
    arrived = sign_in_through_member(fake_aws, org.members["payments-prod"], "eu-north-1")
    remove = run_manage("remove", "--env", "prod", "--org", *where)
    remove_again = run_manage("remove", "--env", "prod", "--org", *where)
    watch = Watch(
        *watching, watch_setting(project), stage_policy_file(project),
        deployed_watch_setting(fake_aws),
    )  # fmt: skip
    delegated = as_delegated_admin(fake_aws, org, project)
    remove_stages = run_manage("remove", "--env", "prod", *where)
    left = left_of_prod(fake_aws)
    return OrgDeployed(
        org, enabled_regions(fake_aws), deploy, made, statements, stack_set["StackSet"],
        forwarding, again, late, late_instances, after_join, dry_run, dry_run_nothing,
        instances_after_dry_run, arrived, wrong_caller, unknown_unit, remove, remove_again,
        bus_statements(fake_aws), instances(fake_aws), forwarding_regions(fake_aws),
        members_rules(fake_aws, [*org.members.values(), late]),
        members_roles(fake_aws, [*org.members.values(), late]),
        view, unknown_region, delegated, remove_stages, left, access, watch,
    )  # fmt: skip


def test_the_central_bus_lets_the_organization_in_and_keeps_other_statements(
    deployed: OrgDeployed,
) -> None:
    assert deployed.deploy.exit_code == 0, deployed.deploy.output
    ours = {s["Sid"]: s for s in deployed.statements}
    assert ours["partner-account"] == OTHER_STATEMENT
    statement = ours[statement_id("prod")]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == CENTRAL_BUS
    # `*` only with the organization's id as the condition
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": deployed.org.id}}


def test_one_service_managed_stack_set_deploys_itself_to_accounts_that_join(
    deployed: OrgDeployed,
) -> None:
    stack_set = deployed.stack_set
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    assert parameters == {"Env": "prod", "CentralEventBusArn": CENTRAL_BUS}


def test_every_member_has_an_instance_in_every_region_and_the_management_account_none(
    deployed: OrgDeployed,
) -> None:
    members = deployed.org.members.values()
    assert deployed.instances == {(m, r) for m in members for r in deployed.regions}
    assert not any(account == MANAGEMENT for account, _ in deployed.instances)
    assert "4 member account(s) forward to " + CENTRAL_BUS in deployed.deploy.out


def test_each_instance_holds_the_forwarding_rule_and_its_least_privilege_role(
    deployed: OrgDeployed,
) -> None:
    view = deployed.member_view
    account = deployed.org.members["payments-prod"]
    # One rule per forwarded pattern (sign-ins, account changes), each on its pattern.
    assert view["rules"] == sorted(forward_rule_name("prod", kind) for kind in FORWARDED_PATTERNS)
    assert view["pattern"] == FORWARDED_PATTERNS["signins"] == {"source": ["aws.signin"]}
    [target] = view["targets"]
    assert target["Arn"] == CENTRAL_BUS and target["RoleArn"] == view["role_arn"]
    assert f":{account}:role/" in view["role_arn"]
    [trust] = view["trust"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}
    [policy] = view["policies"].values()
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": CENTRAL_BUS}
    ]
    assert view["attached"] == []


def test_remove_org_takes_the_members_rules_and_roles_down(deployed: OrgDeployed) -> None:
    assert deployed.member_rules_after_remove == []
    assert deployed.member_roles_after_remove == []


def test_the_management_accounts_own_regions_forward_like_forward_from(
    deployed: OrgDeployed,
) -> None:
    assert deployed.forwarding == [
        r for r in deployed.regions if r not in ("us-east-1", "us-west-2")
    ]


def test_a_members_sign_in_reaches_the_central_stages_function(deployed: OrgDeployed) -> None:
    [(function, event)] = deployed.arrived
    assert function == (
        f"arn:aws:lambda:us-east-1:{MANAGEMENT}:function:signin-alerts-prod-us-east-1-console_signin"
    )
    member = deployed.org.members["payments-prod"]
    assert event["source"] == "aws.signin"
    assert (event["account"], event["region"]) == (member, "eu-north-1")  # names the member
    assert event["detail"]["recipientAccountId"] == member
    assert event["detail"]["eventID"] == "member-eu-west-1-0001"


def test_a_second_run_changes_nothing_and_says_so(deployed: OrgDeployed) -> None:
    assert deployed.again.exit_code == 0, deployed.again.output
    assert "\n0 change(s) besides chalice deploy\n" in deployed.again.out


def test_an_account_that_joins_later_gets_its_instances_with_no_deploy(
    deployed: OrgDeployed,
) -> None:
    assert deployed.late_instances == {(deployed.late, r) for r in deployed.regions}
    assert deployed.after_join.exit_code == 0, deployed.after_join.output
    assert "\n0 change(s) besides chalice deploy\n" in deployed.after_join.out


def test_a_dry_run_says_what_it_would_change_and_changes_nothing(deployed: OrgDeployed) -> None:
    run = deployed.dry_run
    assert run.exit_code == 0, run.output
    other_regions = [r for r in deployed.regions if r not in ("us-east-1", "us-west-2")]
    assert f"no instances in {', '.join(other_regions)}" in run.out
    outside = sorted(
        [deployed.org.members["sandbox-1"], deployed.org.members["loose"], deployed.late]
    )
    assert f"no instances in accounts {', '.join(outside)}" in run.out
    assert "nothing was changed" in run.out
    assert deployed.instances_after_dry_run == deployed.instances | {
        (deployed.late, r) for r in deployed.regions
    }
    assert "dry run: 0 change(s) it would make\n" in deployed.dry_run_nothing.out


def test_the_wrong_caller_or_an_unknown_ou_stops_before_anything_is_made(
    deployed: OrgDeployed,
) -> None:
    assert deployed.wrong_caller.exit_code == 2
    assert "is the management account" in deployed.wrong_caller.err
    assert deployed.unknown_unit.exit_code == 2
    assert "ou-zz not in organization" in deployed.unknown_unit.err
    for unit in deployed.org.units.values():
        assert unit in deployed.unknown_unit.err
    # both ran before the first deploy, which found everything still to do
    assert "created stack set" in deployed.deploy.out


def test_remove_org_leaves_nothing_of_it_and_keeps_other_statements(deployed: OrgDeployed) -> None:
    assert deployed.remove.exit_code == 0, deployed.remove.output
    assert deployed.instances_after_remove == set()
    assert deployed.statements_after_remove == [OTHER_STATEMENT]
    assert deployed.forwarding_after_remove == []
    assert deployed.remove_again.exit_code == 0
    assert deployed.remove_again.out.startswith("0 change(s)\n")


def test_an_unknown_region_stops_before_anything_is_made(deployed: OrgDeployed) -> None:
    run = deployed.unknown_region
    assert run.exit_code == 2 and run.err.count("\n") == 1, run.output
    assert "--org-regions: us-est-1 not enabled in this account" in run.err
    assert "us-east-1" in run.err  # the regions to pick from


def test_a_delegated_administrator_covers_every_member_but_itself_and_says_what_to_run_in_the_management_account(  # noqa: E501
    deployed: OrgDeployed,
) -> None:
    delegated = deployed.delegated
    members = set(deployed.org.members.values()) | {deployed.late}
    covered = members - {delegated.admin}
    assert delegated.instances == {(m, r) for m in covered for r in ("us-east-1", "eu-west-1")}
    [statement] = delegated.statements
    assert statement["Resource"] == f"arn:aws:events:us-east-1:{delegated.admin}:event-bus/default"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": deployed.org.id}}
    notes = "\n".join(delegated.notes)
    assert f"The management account {MANAGEMENT} is not covered" in notes
    assert "--template-file build/org/member.json" in notes
    assert f"CentralEventBusArn=arn:aws:events:us-east-1:{delegated.admin}:" in notes
    assert "--call-as SELF, but" in delegated.as_self and "is not the management" in (
        delegated.as_self
    )
    assert f"deleted stack set {STACK_SET}" in delegated.removed
    assert delegated.instances_after_remove == set()


def test_remove_org_then_remove_leaves_nothing_but_the_ledger(deployed: OrgDeployed) -> None:
    assert deployed.remove_stages.exit_code == 0, deployed.remove_stages.output
    assert deployed.left_at_the_end == []


def test_the_management_account_activates_trusted_access_and_a_dry_run_only_says_it_would(
    deployed: OrgDeployed,
) -> None:
    access = deployed.access
    assert access.before == "DISABLED"
    run = access.first_dry_run
    assert run.exit_code == 0, run.output
    activate = (
        "activated trusted access for StackSets with Organizations "
        "(aws cloudformation activate-organizations-access)"
    )
    assert f"\n  {activate}\n" in run.out
    assert f"\n  prod-us-east-1: {WATCH_SETTING}=true in .chalice/config.json;" in run.out
    assert "nothing was changed" in run.out
    assert access.after_dry_run == "DISABLED"
    assert access.config_untouched  # neither the dry run nor the refused run wrote it
    assert f"\n  organization: {activate}\n" in deployed.deploy.out
    assert access.after_deploy == "ENABLED"
    assert activate not in deployed.again.out


def test_a_delegated_administrator_without_trusted_access_stops_before_making_anything(
    deployed: OrgDeployed,
) -> None:
    run = deployed.access.delegated_refused
    assert run.exit_code == 2, run.output
    assert run.err.count("\n") == 1, run.err  # one line, no traceback
    assert "trusted access for StackSets with Organizations is DISABLED" in run.err
    assert (
        f"in the management account {MANAGEMENT}, run "
        "`aws cloudformation activate-organizations-access`" in run.err
    )
    assert "chalice deploy" not in run.out
    assert deployed.access.made_by_refused_admin == []
    assert deployed.access.after_refusal == "DISABLED"
    unregistered = deployed.access.unregistered
    member = deployed.org.members["sandbox-1"]
    assert unregistered.exit_code == 2, unregistered.output
    assert f"StackSets does not take {member} as a delegated administrator" in unregistered.err
    assert (
        f"in the management account {MANAGEMENT}, run `aws organizations "
        f"register-delegated-administrator --account-id {member} --service-principal "
        f"{STACKSETS_PRINCIPAL}`" in unregistered.err
    )


def test_the_us_east_1_stage_watches_the_organization_with_no_second_step(
    deployed: OrgDeployed,
) -> None:
    watch = deployed.watch
    assert watch.config_after_deploy == "true"
    assert watch.function_after_deploy == "true"  # the deployed stage, not only the config
    stack_set = f"arn:aws:cloudformation:us-east-1:{MANAGEMENT}:stackset/{STACK_SET}:1a2b"
    needs = [
        Call("cloudformation:ListStackInstances", stack_set),
        Call("organizations:ListAccounts", "*"),
        Call("organizations:DescribeOrganization", "*"),
    ]
    assert watch.policy_after_deploy in watch.role_policies_after_deploy  # what Chalice put
    for call in needs:
        assert allows(watch.policy_after_deploy, call), call
    other = Call("cloudformation:ListStackInstances", stack_set.replace("-prod-", "-dev-"))
    assert not allows(watch.policy_after_deploy, other)
    # what `remove --org` leaves is what a plain deploy expects: no watch, no grant
    assert deployed.remove.exit_code == 0, deployed.remove.output
    assert f"prod-us-east-1: deployed again without {WATCH_SETTING}" in deployed.remove.out
    assert watch.config_after_remove is None
    assert watch.function_after_remove is None
    assert not allows(watch.policy_after_remove, needs[0])
