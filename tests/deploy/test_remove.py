"""GIVEN prod deployed in two regions, forwarding from every other region (moto) WHEN
`manage.py remove --env prod --regions us-west-2` runs THEN nothing of that stage is
left (functions, rules, API, alarms, topic, queue, deployed state, its forwarding
role), every forwarder points at us-east-1, `audit-regions` is clean, and a second
run changes nothing; removing the last stage takes the forwarding down too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localdev.inventory import region_inventory
from localdev.rehearsal import copy_project
from tests.deploy.conftest import FakeAws
from tests.deploy.operator import Run, run_manage
from tools.forwarding import forward_role_name, forward_rule_name

BUS = "arn:aws:events:{}:123456789012:event-bus/default"


@dataclass
class Removed:
    deploy: Run
    remove: Run
    again: Run
    audit: Run
    project: Path


@pytest.fixture(scope="module")
def removed(fake_aws: FakeAws, tmp_path_factory: pytest.TempPathFactory) -> Removed:
    project = copy_project(tmp_path_factory.mktemp("remove"))
    fake_aws.ready_for_deploy("prod", project)
    where = ("--project-dir", str(project))
    deploy = run_manage("deploy", "--env", "prod", "--forward-from", "all", *where)
    remove = run_manage("remove", "--env", "prod", "--regions", "us-west-2", *where)
    again = run_manage("remove", "--env", "prod", "--regions", "us-west-2", *where)
    audit = run_manage("audit-regions", "--env", "prod")
    return Removed(deploy, remove, again, audit, project)


def clients_of(aws: FakeAws) -> Any:
    return lambda service, region: aws.client(service, region)


def test_nothing_of_the_removed_stage_is_left(removed: Removed, fake_aws: FakeAws) -> None:
    assert removed.deploy.exit_code == 0, removed.deploy.output
    assert removed.remove.exit_code == 0, removed.remove.output
    west = region_inventory(clients_of(fake_aws), "us-west-2", "signin-alerts", "prod")
    # us-west-2 now only forwards (to us-east-1), like any region without a stage
    assert west.lines() == ["EventBridge rules: signin-alerts-prod-forward-signins"]
    assert not (removed.project / ".chalice" / "deployed" / "prod-us-west-2.json").exists()
    roles = [r["RoleName"] for r in fake_aws.client("iam").list_roles()["Roles"]]
    assert [r for r in roles if "us-west-2" in r] == []
    assert forward_role_name("prod", "us-west-2") not in roles


def test_the_remaining_stage_is_untouched(removed: Removed, fake_aws: FakeAws) -> None:
    east = region_inventory(clients_of(fake_aws), "us-east-1", "signin-alerts", "prod")
    assert len(east.functions) == 6 and len(east.alarms) == 5
    assert east.queues == ["signin-alerts-prod-us-east-1-undelivered"]
    assert east.tables == ["signin-alerts-ledger-prod"]  # the history stays


@pytest.mark.parametrize("source", ["us-west-2", "us-west-1", "ap-southeast-2"])
def test_every_forwarder_points_at_the_stage_that_remains(
    removed: Removed, fake_aws: FakeAws, source: str
) -> None:
    [target] = fake_aws.client("events", source).list_targets_by_rule(
        Rule=forward_rule_name("prod")
    )["Targets"]
    assert target["Arn"] == BUS.format("us-east-1")
    assert f"{source}: sign-ins forwarded to us-east-1" in removed.remove.out


def test_audit_regions_is_clean_after_it(removed: Removed) -> None:
    assert removed.audit.exit_code == 0, removed.audit.output
    assert "enabled regions watched" in removed.audit.out


def test_a_second_run_changes_nothing(removed: Removed) -> None:
    assert removed.again.exit_code == 0, removed.again.output
    assert "0 change(s)" in removed.again.out


def test_removing_the_last_stage_takes_the_forwarding_down(
    removed: Removed, fake_aws: FakeAws
) -> None:
    run = run_manage("remove", "--env", "prod", "--project-dir", str(removed.project))

    assert run.exit_code == 0, run.output
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        inventory = region_inventory(clients_of(fake_aws), region, "signin-alerts", "prod")
        assert inventory.functions == inventory.rules == inventory.alarms == []
        assert inventory.queues == inventory.topics == inventory.apis == []
    roles = [r["RoleName"] for r in fake_aws.client("iam").list_roles()["Roles"]]
    assert [r for r in roles if r.startswith("signin-alerts-prod-")] == []
