"""GIVEN an organization on moto (the management account, an OU with members, the env's
service-managed StackSet with instances in us-east-1 and us-west-2) and the local Slack
sink WHEN the us-east-1 watchdog checks the organization THEN each problem names the
account and region and its fix, posts once, reminds after the interval and resolves
once fixed; a quiet member is a hint, said once; a healthy organization posts nothing.

moto's stack instances are always CURRENT: an instance gone OUTDATED is moto's own
listing with that one summary's status changed (the real API's shape), served through
botocore's Stubber; everything else is moto's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.container import Container
from chalicelib.judge.rules import evaluate
from chalicelib.settings import SecretResolver, Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.watchdog.checks import organization_checks, stage_checks
from chalicelib.watchdog.findings import Check, StageIdentity, stack_set_name
from chalicelib.watchdog.run import Watchdog
from chalicelib.watchdog.state import WatchdogState
from localdev.fast_forward import FastForward
from localdev.signins import Login
from localdev.slack_sink import SlackSink
from tests.conftest import TABLE

REGION = "us-east-1"
REGIONS = ["us-east-1", "us-west-2"]
MANAGEMENT = "123456789012"  # moto's account: the organization's management account
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
STACK_SET = stack_set_name("prod")
TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})


@dataclass
class Organization:
    sink: SlackSink
    dynamodb: Any
    clock: FastForward  # Slack's pacing waits on it, never on real time
    root: str = ""
    workloads: str = ""
    members: dict[str, str] = field(default_factory=dict)  # name -> account id
    now: datetime = START
    stubbed: Any = None  # a Stubber-backed CloudFormation client, when set

    def __post_init__(self) -> None:
        env = {"LEDGER_TABLE": TABLE, "SLACK_WEBHOOK_URL": self.sink.webhook_url}
        container = Container(env, clocks=self.clock.clocks())
        self.container = container
        self.sign_in(MANAGEMENT, self.now - timedelta(days=1))
        organizations = boto3.client("organizations", region_name=REGION)
        organizations.create_organization(FeatureSet="ALL")
        self.root = organizations.list_roots()["Roots"][0]["Id"]
        self.workloads = organizations.create_organizational_unit(
            ParentId=self.root, Name="Workloads"
        )["OrganizationalUnit"]["Id"]
        for name in ("Payments-Prod", "Sandbox"):
            self.join(name, self.workloads)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack_set(
            StackSetName=STACK_SET,
            TemplateBody=TEMPLATE,
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        )
        self.deploy()
        identity = StageIdentity.of("prod-us-east-1", REGION, MANAGEMENT)
        self.watchdog = Watchdog(
            stage=identity.name,
            state=WatchdogState(self.dynamodb, TABLE),
            post=self.post,
            clock=lambda: self.now,
            remind_after=timedelta(hours=24),
        )
        self.identity = identity

    def post(self, message: dict[str, Any]) -> None:
        self.container.notifier().post(message, deadline=self.clock.monotonic() + 30)

    def join(self, name: str, parent: str) -> str:
        organizations = boto3.client("organizations", region_name=REGION)
        email = f"{name.lower()}@example.com"
        account = organizations.create_account(AccountName=name, Email=email)
        account_id: str = account["CreateAccountStatus"]["AccountId"]
        if parent != self.root:
            organizations.move_account(
                AccountId=account_id, SourceParentId=self.root, DestinationParentId=parent
            )
        self.members[name] = account_id
        self.sign_in(account_id, self.now - timedelta(days=1))
        return account_id

    def sign_in(self, account_id: str, at: datetime) -> None:
        login = Login(f"org-{account_id}-{at.timestamp():.0f}", at, account_id=account_id)
        signin = parse_signin(login.record(), received_at=at)
        self.container.ledger.record(signin, evaluate(signin, self.container.settings))

    def deploy(self) -> None:
        """What automatic deployment does for the OU: an instance per account and region."""
        boto3.client("cloudformation", region_name=REGION).create_stack_instances(
            StackSetName=STACK_SET,
            DeploymentTargets={"OrganizationalUnitIds": [self.workloads]},
            Regions=REGIONS,
        )

    def clients(self, service: str, region: str) -> Any:
        if service == "cloudformation" and self.stubbed is not None:
            return self.stubbed
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]

    def run(self) -> dict[str, Any]:
        checks = organization_checks(
            self.identity,
            clients=self.clients,
            dynamodb=self.dynamodb,
            table=TABLE,
            clock=lambda: self.now,
        )
        if self.stubbed is not None:
            self._serve_outdated()
        return self.watchdog.run(checks).to_dict()

    def outdate(self, account_id: str, region: str) -> None:
        self.outdated = (account_id, region)
        self.stubbed = boto3.client("cloudformation", region_name=REGION)
        self.stubber = Stubber(self.stubbed)
        self.stubber.activate()
        self._serve_outdated()

    def _serve_outdated(self) -> None:
        page = boto3.client("cloudformation", region_name=REGION).list_stack_instances(
            StackSetName=STACK_SET
        )
        page.pop("ResponseMetadata", None)
        for summary in page["Summaries"]:
            if (summary["Account"], summary["Region"]) == self.outdated:
                summary["Status"] = "OUTDATED"
                summary["StatusReason"] = "ResourceLogicalId:ForwardRole, Role already exists"
                summary["StackInstanceStatus"] = {"DetailedStatus": "FAILED"}
        self.stubber.add_response("list_stack_instances", page)

    def texts_since(self, count: int) -> list[str]:
        return [str(message["text"]) for message in self.sink.messages[count:]]


@pytest.fixture
def organization(
    dynamodb: Any, slack_sink: SlackSink, fast_forward: FastForward
) -> Iterator[Organization]:
    yield Organization(slack_sink, dynamodb, fast_forward)


def test_a_healthy_organization_posts_nothing(organization: Organization) -> None:
    report = organization.run()

    assert report["problems"] == [] and report["hints"] == []
    assert organization.sink.messages == []


@dataclass(frozen=True)
class OrgFault:
    name: str
    breaks: Callable[[Organization], str]  # returns the account id it broke
    fixes: Callable[[Organization], None]
    regions: tuple[str, ...]
    fix: str


def late_joiner(organization: Organization) -> str:
    # an account created in the root, outside the OU the stack set targets
    return organization.join("Late-Joiner", organization.root)


def move_into_workloads(organization: Organization) -> None:
    boto3.client("organizations", region_name=REGION).move_account(
        AccountId=organization.members["Late-Joiner"],
        SourceParentId=organization.root,
        DestinationParentId=organization.workloads,
    )
    organization.deploy()


def outdated_instance(organization: Organization) -> str:
    account = organization.members["Payments-Prod"]
    organization.outdate(account, "us-west-2")
    return account


def redeployed(organization: Organization) -> None:
    organization.stubbed = None


ORG_FAULTS = [
    OrgFault(
        "member without an instance",
        late_joiner,
        move_into_workloads,
        ("us-east-1", "us-west-2"),
        "move it into an OU the stack set targets, or run python manage.py deploy --env prod --org",
    ),
    OrgFault(
        "outdated instance",
        outdated_instance,
        redeployed,
        ("us-west-2",),
        "python manage.py deploy --env prod --org",
    ),
]


@pytest.mark.parametrize("fault", ORG_FAULTS, ids=[fault.name for fault in ORG_FAULTS])
def test_each_organization_problem_posts_once_reminds_and_resolves(
    organization: Organization, fault: OrgFault
) -> None:
    account = fault.breaks(organization)

    report = organization.run()

    assert report["problems"] == [f"org_instance#{account}/{region}" for region in fault.regions]
    warnings = organization.texts_since(0)
    assert len(warnings) == len(fault.regions)
    for region, text in zip(fault.regions, warnings, strict=True):
        assert text.startswith(f"HIGH: signin-alerts in {region}: account ")
        assert account in text and fault.fix in text
    named = "Late-Joiner" if fault.name.startswith("member") else "Payments-Prod"
    assert all(named in text for text in warnings)

    for hours in (1, 23):  # quiet while it lasts, until the reminder is due
        organization.now = START + timedelta(hours=hours)
        organization.run()
    assert len(organization.sink.messages) == len(fault.regions)
    organization.now = START + timedelta(hours=24)
    organization.run()
    reminders = organization.texts_since(len(fault.regions))
    assert len(reminders) == len(fault.regions)
    assert all("still broken after 24 h" in text for text in reminders)

    fault.fixes(organization)
    organization.now += timedelta(hours=1)
    organization.run()
    resolved = organization.texts_since(2 * len(fault.regions))
    assert len(resolved) == len(fault.regions)
    assert all(text.startswith("INFO: resolved in ") for text in resolved)
    organization.now += timedelta(hours=30)
    organization.run()
    assert len(organization.sink.messages) == 3 * len(fault.regions)


def test_a_problem_of_an_account_that_left_resolves(organization: Organization) -> None:
    account = late_joiner(organization)
    organization.run()
    assert len(organization.sink.messages) == 2

    boto3.client("organizations", region_name=REGION).remove_account_from_organization(
        AccountId=account
    )
    organization.now += timedelta(hours=1)
    organization.run()

    assert all(text.startswith("INFO: resolved") for text in organization.texts_since(2))
    assert len(organization.sink.messages) == 4


def test_a_quiet_member_is_a_hint_said_once(organization: Organization) -> None:
    quiet = organization.members["Sandbox"]
    organization.now = START + timedelta(days=31)
    for account in [MANAGEMENT, *organization.members.values()]:
        if account != quiet:
            organization.sign_in(account, organization.now - timedelta(hours=2))

    report = organization.run()

    assert report["hints"] == [f"org_quiet#{quiet}"] and report["problems"] == []
    [hint] = organization.texts_since(0)
    assert hint.startswith("INFO: signin-alerts hint") and f"Sandbox ({quiet})" in hint
    organization.now += timedelta(hours=25)
    organization.run()
    assert len(organization.sink.messages) == 1


def test_a_missing_stack_set_is_one_problem(organization: Organization) -> None:
    # the dev env's watchdog: `deploy --env dev --org` never ran
    organization.identity = StageIdentity.of("dev-us-east-1", REGION, MANAGEMENT)

    report = organization.run()

    assert report["problems"] == ["org_instance#stack-set"]
    [warning] = organization.texts_since(0)
    assert f"stack set {stack_set_name('dev')} does not exist" in warning
    assert "python manage.py deploy --env dev --org" in warning

    # deployed (here: the env whose stack set exists): resolved, in the stage's region
    organization.identity = StageIdentity.of("prod-us-east-1", REGION, MANAGEMENT)
    organization.now += timedelta(hours=1)
    organization.run()
    [resolved] = organization.texts_since(1)
    assert resolved.startswith("INFO: resolved in us-east-1 after 1 h: stack set")


@pytest.mark.parametrize(
    ("region", "watch", "checked"),
    [("us-east-1", "true", True), ("us-east-1", "false", False), ("us-west-2", "true", False)],
)
def test_only_the_us_east_1_stage_told_to_watches_the_organization(
    organization: Organization, region: str, watch: str, checked: bool
) -> None:
    settings = Settings.from_env({"LEDGER_TABLE": TABLE, "ORGANIZATION_WATCH": watch})
    stage = StageIdentity.of(f"prod-{region}", region, MANAGEMENT)

    specs = stage_checks(
        stage,
        settings=settings,
        clients=organization.clients,
        secrets=lambda: SecretResolver(lambda: boto3.client("ssm", region_name=region)),
        dynamodb=lambda: organization.dynamodb,
        forwarding=dict,
        clock=lambda: organization.now,
    )

    organization_checks_found = {spec.check for spec in specs} & {
        Check.ORG_INSTANCE,
        Check.ORG_QUIET,
    }
    assert bool(organization_checks_found) is checked
