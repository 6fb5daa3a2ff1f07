"""GIVEN the embedded emulator and its small organization WHEN `make rehearse`'s code
runs (localdev/rehearsal.py: `secrets`, `deploy --create-trail --forward-from all
--org`, `audit-regions`) THEN every step succeeds, every region is watched, every member
account has its instances, and the printed Slack manifest carries the us-east-1 API's
real request URLs, which serve the app's Slack routes."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from localdev.rehearsal import SAMPLE_MEMBERS, Rehearsal, copy_project, rehearse, show
from tests.deploy.conftest import FakeAws
from tools.org_stackset import stack_set_name
from tools.regions import OTHER_PARTITIONS


@dataclass
class Rehearsed:
    rehearsal: Rehearsal
    printed: str
    project: Path


@pytest.fixture(scope="module")
def rehearsed(fake_aws: FakeAws, tmp_path_factory: pytest.TempPathFactory) -> Rehearsed:
    project = copy_project(tmp_path_factory.mktemp("rehearse"))
    out = io.StringIO()
    rehearsal = rehearse(project, fake_aws.endpoint, out)
    show(rehearsal, out)
    return Rehearsed(rehearsal, out.getvalue(), project)


def test_every_step_succeeds_and_every_region_is_watched(rehearsed: Rehearsed) -> None:
    steps = [step.argv[0] for step in rehearsed.rehearsal.steps]
    assert steps == ["secrets", "deploy", "audit-regions"], rehearsed.printed
    assert rehearsed.rehearsal.ok, rehearsed.printed
    assert "enabled regions watched" in rehearsed.printed
    assert "rehearsal ok in" in rehearsed.printed
    assert "Traceback" not in rehearsed.printed


def test_it_prints_what_it_made(rehearsed: Rehearsed) -> None:
    made = "\n".join(rehearsed.rehearsal.made)
    for name in (
        "signin-alerts-prod-us-east-1-console_signin",
        "signin-alerts-prod-us-west-2-console_signin",
        "signin-alerts-ledger-prod",
        "signin-alerts-prod-forward-signins",
        "signin-alerts-management-events",
    ):
        assert name in made
        assert name in rehearsed.printed


def test_every_member_account_of_the_organization_forwards_in_every_region(
    rehearsed: Rehearsed, fake_aws: FakeAws
) -> None:
    regions = fake_aws.client("ec2", "us-east-1").describe_regions()["Regions"]
    watched = [r["RegionName"] for r in regions if not r["RegionName"].startswith(OTHER_PARTITIONS)]
    made = rehearsed.rehearsal.made
    assert (
        f"StackSet {stack_set_name('prod')}: instances in {len(SAMPLE_MEMBERS)} member accounts"
        in made
    )
    per_account = [line for line in made if line.endswith(f": {len(watched)} regions")]
    assert len(per_account) == len(SAMPLE_MEMBERS), made
    [deploy] = [step for step in rehearsed.rehearsal.steps if step.argv[0] == "deploy"]
    assert f"{len(SAMPLE_MEMBERS)} member account(s) forward to" in deploy.output


def test_create_trail_makes_a_logging_multi_region_trail_with_its_bucket(
    rehearsed: Rehearsed, fake_aws: FakeAws
) -> None:
    cloudtrail = fake_aws.client("cloudtrail", "us-east-1")
    [trail] = cloudtrail.describe_trails()["trailList"]
    assert trail["IsMultiRegionTrail"]
    assert cloudtrail.get_trail_status(Name=trail["TrailARN"])["IsLogging"]
    s3 = fake_aws.client("s3", "us-east-1")
    policy = s3.get_bucket_policy(Bucket=trail["S3BucketName"])["Policy"]
    assert trail["TrailARN"] in policy and "cloudtrail.amazonaws.com" in policy


def manifest_of(deploy_output: str) -> dict[str, Any]:
    """The manifest deploy prints last."""
    start = deploy_output.index("# Slack app manifest, filled in")
    manifest: dict[str, Any] = yaml.safe_load(deploy_output[start:])
    return manifest


def test_the_printed_manifest_has_the_us_east_1_request_urls(
    rehearsed: Rehearsed, fake_aws: FakeAws
) -> None:
    [deploy] = [step for step in rehearsed.rehearsal.steps if step.argv[0] == "deploy"]
    manifest = manifest_of(deploy.output)
    [command] = manifest["features"]["slash_commands"]
    interactions = manifest["settings"]["interactivity"]["request_url"]
    apigateway = fake_aws.client("apigateway", "us-east-1")
    [api] = apigateway.get_rest_apis()["items"]
    base = f"https://{api['id']}.execute-api.us-east-1.amazonaws.com/api"
    assert command["url"] == f"{base}/slack/recent-logins"
    assert interactions == f"{base}/slack/interactions"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == f"{base}/slack/events"
    assert "files:write" in manifest["oauth_config"]["scopes"]["bot"]
    paths = {r["path"] for r in apigateway.get_resources(restApiId=api["id"])["items"]}
    assert {"/slack/recent-logins", "/slack/interactions", "/slack/events"} <= paths
    assert "REPLACE-ME" not in rehearsed.printed
    assert f"Paste into the Slack app's /recent-logins command: {base}/slack/recent-logins" in (
        rehearsed.rehearsal.paste
    )
    template = yaml.safe_load((Path(__file__).parents[2] / "slack/manifest.yml").read_text())
    assert manifest["oauth_config"] == template["oauth_config"]
