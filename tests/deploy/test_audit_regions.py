"""GIVEN an account with stages, forwarding rules and trails (moto) WHEN
`manage.py audit-regions` runs THEN it says which regions' sign-ins go unseen and why."""

from __future__ import annotations

import contextlib
import io
import json

import boto3
import pytest

import manage
from chalicelib.signin.pattern import SIGNIN_EVENT_PATTERN
from tests.deploy.organization import organization
from tools.audit_regions import audit
from tools.deploy import DeployReport, forward
from tools.regions import enabled_regions

ACCOUNT = "123456789012"


def add_stage(region: str) -> None:
    events = boto3.client("events", region_name=region)
    name = f"signin-alerts-prod-{region}-console_signin-event"
    events.put_rule(Name=name, EventPattern=json.dumps(SIGNIN_EVENT_PATTERN), State="ENABLED")
    function = (
        f"arn:aws:lambda:{region}:{ACCOUNT}:function:signin-alerts-prod-{region}-console_signin"
    )
    events.put_targets(Rule=name, Targets=[{"Id": "1", "Arn": function}])


def add_trail(*, logging: bool = True) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
    cloudtrail.create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    if logging:
        cloudtrail.start_logging(Name="org-trail")


def run_audit() -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = manage.main(["audit-regions", "--env", "prod"])
    return code, output.getvalue()


def line_for(output: str, region: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith(f"{region} ")]
    return line


@pytest.fixture
def two_stages(aws: None) -> None:
    add_stage("us-east-1")
    add_stage("us-west-2")


def test_without_forwarding_global_signin_regions_are_reported_missed(two_stages: None) -> None:
    add_trail()

    code, output = run_audit()

    assert code == 1
    assert "yes" in line_for(output, "us-east-1").split()[1]
    assert "stage (signin-alerts-prod-us-west-2-console_signin)" in line_for(output, "us-west-2")
    assert line_for(output, "eu-north-1").split()[1] == "NO"
    assert "global-endpoint sign-ins are missed in: ap-southeast-2, eu-north-1, us-east-2" in output
    assert "--forward-from all" in output
    assert "multi-region trails logging: 1 (org-trail)" in output


def test_forwarded_regions_count_only_when_they_reach_a_stage(two_stages: None) -> None:
    add_trail()
    session = boto3.session.Session()
    forward(session, "prod", ["us-east-2"], ["us-east-1"], DeployReport())
    forward(session, "prod", ["eu-north-1"], ["eu-west-1"], DeployReport())  # no stage there

    by_region = {entry.region: entry for entry in audit(session, "prod")}

    assert by_region["us-east-2"].watched
    assert by_region["us-east-2"].route_text == "forwarded to us-east-1"
    assert not by_region["eu-north-1"].watched
    assert by_region["eu-north-1"].route_text == "forwarded to eu-west-1"


def test_a_trail_that_is_not_logging_leaves_every_region_unwatched(two_stages: None) -> None:
    add_trail(logging=False)

    code, output = run_audit()

    assert code == 1
    assert line_for(output, "us-east-1").split()[1] == "NO"
    assert "multi-region trails logging: 0 (none)" in output
    assert "a multi-region trail that is logging" in output


def test_forwarding_from_all_regions_leaves_none_unwatched(two_stages: None) -> None:
    add_trail()
    session = boto3.session.Session()
    forward(session, "prod", enabled_regions(session), ["us-east-1", "us-west-2"], DeployReport())

    code, output = run_audit()

    assert code == 0, output
    assert f"all {len(enabled_regions(session))} enabled regions watched" in output
    assert "forwarded to us-west-2" in line_for(output, "us-west-1")
    assert "forwarded to us-east-1" in line_for(output, "eu-north-1")


def test_a_trail_without_write_management_events_does_not_count(two_stages: None) -> None:
    """audit-regions and the watchdog share this check (chalicelib/watchdog/pipeline.py)."""
    add_trail()
    boto3.client("cloudtrail", region_name="us-east-1").put_event_selectors(
        TrailName="org-trail",
        EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
    )

    code, output = run_audit()

    assert code == 1
    assert line_for(output, "us-east-1").split()[1] == "NO"


def run_org_audit() -> tuple[int, str]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = manage.main(["audit-regions", "--env", "prod", "--org"])
    return code, output.getvalue()


def test_org_audit_names_each_account_without_an_instance_and_its_fix(two_stages: None) -> None:
    add_trail()
    accounts = organization(late_joiner=True)

    code, output = run_org_audit()

    late = f"Late-Joiner ({accounts['Late-Joiner']})"
    payments = f"Payments-Prod ({accounts['Payments-Prod']})"
    assert code == 1
    assert line_for(output, payments).split()[-2:] == ["CURRENT", "CURRENT"]
    assert line_for(output, late).split()[-2:] == ["none", "none"]
    for region in ("us-east-1", "us-west-2"):
        assert (
            f"PROBLEM: account {late} has no signin-alerts-prod-organization instance in {region}"
            in (output)
        )
    assert (
        "fix: move it into an OU the stack set targets, or run python manage.py deploy " in output
    )
    # nobody signed in anywhere yet: every member is a hint, never a problem
    assert f"hint: no sign-in from account {payments} in 30 days" in output


def test_org_audit_of_a_covered_organization_passes_the_accounts(two_stages: None) -> None:
    add_trail()
    organization(late_joiner=False)

    code, output = run_org_audit()

    assert "every one of 2 active accounts forwards its sign-ins" in output
    assert "PROBLEM" not in output.split("organization:")[1]
    assert line_for(output, "master (123456789012)").split()[2:] == ["management", "-", "-"]
    assert code in (0, 1)  # the regions' table decides the rest (forwarding not deployed)


def test_org_audit_needs_an_env(aws: None) -> None:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = manage.main(["audit-regions", "--org"])

    assert code == 2 and "needs --env" in output.getvalue()
