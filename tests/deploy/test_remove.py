"""GIVEN prod deployed in two regions, forwarding from every other region (moto) WHEN
`manage.py remove --env prod --regions us-west-2` runs THEN nothing of that stage is
left (functions, rules, API, alarms, topic, queue, deployed state, its forwarding
role), every forwarder points at us-east-1, `audit-regions` is clean, and a second
run changes nothing; removing the last stage takes the forwarding down too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from localdev.inventory import RegionInventory, region_inventory
from localdev.rehearsal import copy_project
from tests.deploy.conftest import FakeAws
from tests.deploy.operator import Run, run_manage
from tools.forwarding import forward_role_name, forward_rule_name

BUS = "arn:aws:events:{}:123456789012:event-bus/default"


def clients_of(aws: FakeAws) -> Any:
    return lambda service, region: aws.client(service, region)


def forward_target(aws: FakeAws, source: str) -> str:
    events = aws.client("events", source)
    [target] = events.list_targets_by_rule(Rule=forward_rule_name("prod"))["Targets"]
    return str(target["Arn"])


def prod_roles(aws: FakeAws) -> list[str]:
    roles = [r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]]
    return [role for role in roles if role.startswith("signin-alerts-prod-")]


SOURCES = ("us-west-2", "us-west-1", "ap-southeast-2")


@dataclass
class Removed:
    """Every run, and what AWS held after each: the tests only read (any order)."""

    deploy: Run
    remove: Run
    again: Run
    audit: Run
    west: RegionInventory
    east: RegionInventory
    targets: dict[str, str]
    roles: list[str]
    state_left: bool
    remove_last: Run
    left_after_last: list[RegionInventory]
    roles_after_last: list[str]


@pytest.fixture(scope="module")
def removed(fake_aws: FakeAws, tmp_path_factory: pytest.TempPathFactory) -> Removed:
    project = copy_project(tmp_path_factory.mktemp("remove"))
    fake_aws.ready_for_deploy("prod", project)
    where = ("--project-dir", str(project))
    clients = clients_of(fake_aws)
    deploy = run_manage("deploy", "--env", "prod", "--forward-from", "all", *where)
    remove = run_manage("remove", "--env", "prod", "--regions", "us-west-2", *where)
    again = run_manage("remove", "--env", "prod", "--regions", "us-west-2", *where)
    audit = run_manage("audit-regions", "--env", "prod")
    west = region_inventory(clients, "us-west-2", "signin-alerts", "prod")
    east = region_inventory(clients, "us-east-1", "signin-alerts", "prod")
    targets = {source: forward_target(fake_aws, source) for source in SOURCES}
    roles = prod_roles(fake_aws)
    state_left = (project / ".chalice" / "deployed" / "prod-us-west-2.json").exists()
    remove_last = run_manage("remove", "--env", "prod", *where)
    left = [
        region_inventory(clients, region, "signin-alerts", "prod")
        for region in ("us-east-1", "us-west-2", "eu-west-1")
    ]
    return Removed(
        deploy, remove, again, audit, west, east, targets, roles, state_left,
        remove_last, left, prod_roles(fake_aws),
    )  # fmt: skip


def test_nothing_of_the_removed_stage_is_left(removed: Removed) -> None:
    assert removed.deploy.exit_code == 0, removed.deploy.output
    assert removed.remove.exit_code == 0, removed.remove.output
    # us-west-2 now only forwards (to us-east-1), like any region without a stage
    # (one forwarding rule per forwarded pattern: the sign-ins, the account changes)
    assert removed.west.lines() == [
        "EventBridge rules: signin-alerts-prod-forward-changes, signin-alerts-prod-forward-signins"
    ]
    assert not removed.state_left
    assert [role for role in removed.roles if "us-west-2" in role] == []
    assert forward_role_name("prod", "us-west-2") not in removed.roles


def test_the_remaining_stage_is_untouched(removed: Removed) -> None:
    east = removed.east
    # 7 functions: the API's, console_signin, account_change and the four schedules
    assert len(east.functions) == 7 and len(east.alarms) == 7
    assert east.queues == ["signin-alerts-prod-us-east-1-undelivered"]
    assert east.tables == ["signin-alerts-ledger-prod"]  # the history stays


@pytest.mark.parametrize("source", SOURCES)
def test_every_forwarder_points_at_the_stage_that_remains(removed: Removed, source: str) -> None:
    assert removed.targets[source] == BUS.format("us-east-1")
    assert f"{source}: sign-ins forwarded to us-east-1" in removed.remove.out


def test_audit_regions_is_clean_after_it(removed: Removed) -> None:
    assert removed.audit.exit_code == 0, removed.audit.output
    assert "enabled regions watched" in removed.audit.out


def test_a_second_run_changes_nothing(removed: Removed) -> None:
    assert removed.again.exit_code == 0, removed.again.output
    assert "0 change(s)" in removed.again.out


def test_removing_the_last_stage_takes_the_forwarding_down(removed: Removed) -> None:
    assert removed.remove_last.exit_code == 0, removed.remove_last.output
    for inventory in removed.left_after_last:
        assert inventory.functions == inventory.rules == inventory.alarms == []
        assert inventory.queues == inventory.topics == inventory.apis == []
    assert removed.roles_after_last == []
