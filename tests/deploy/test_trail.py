"""GIVEN an account without a trail (moto) WHEN `deploy --create-trail` makes one
(tools/trail.py) THEN a bucket only that trail may write to, a multi-region trail, and
logging started; a second run changes nothing, a stopped trail is started again, and a
deploy that `check` refuses for another reason creates no trail either."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from tests.deploy.operator import run_manage, stage_config_copy
from tools.trail import TRAIL_NAME, TrailPlan, ensure_trail

ACCOUNT = "123456789012"


def clients() -> tuple[Any, Any]:
    return (
        boto3.client("s3", region_name="us-east-1"),
        boto3.client("cloudtrail", region_name="us-east-1"),
    )


def test_it_makes_a_bucket_its_policy_and_a_logging_multi_region_trail(aws: None) -> None:
    s3, cloudtrail = clients()
    changes: list[str] = []

    arn = ensure_trail(s3, cloudtrail, ACCOUNT, changes)

    [trail] = cloudtrail.describe_trails()["trailList"]
    assert (trail["Name"], trail["TrailARN"]) == (TRAIL_NAME, arn)
    assert trail["IsMultiRegionTrail"] and trail["S3BucketName"] == TrailPlan(ACCOUNT).bucket
    assert cloudtrail.get_trail_status(Name=arn)["IsLogging"]
    policy = json.loads(s3.get_bucket_policy(Bucket=trail["S3BucketName"])["Policy"])
    assert policy == TrailPlan(ACCOUNT).bucket_policy()
    conditions = [statement["Condition"]["StringEquals"] for statement in policy["Statement"]]
    assert all(condition["aws:SourceArn"] == arn for condition in conditions)
    assert len(changes) == 4


def test_a_second_run_changes_nothing_and_a_stopped_trail_is_started(aws: None) -> None:
    s3, cloudtrail = clients()
    arn = ensure_trail(s3, cloudtrail, ACCOUNT, [])
    again: list[str] = []
    ensure_trail(s3, cloudtrail, ACCOUNT, again)
    assert again == []

    cloudtrail.stop_logging(Name=arn)
    restarted: list[str] = []
    ensure_trail(s3, cloudtrail, ACCOUNT, restarted)
    assert restarted == [f"trail {TRAIL_NAME}: logging started"]
    assert cloudtrail.get_trail_status(Name=arn)["IsLogging"]


def test_a_deploy_refused_for_another_reason_creates_no_trail(aws: None, tmp_path: Path) -> None:
    project = stage_config_copy(tmp_path)  # no secrets written: check refuses

    run = run_manage("deploy", "--env", "dev", "--create-trail", "--project-dir", str(project))

    assert run.exit_code == 2
    assert "secrets --env dev" in run.err
    assert "no trail records us-east-1" in run.err  # and its fix names the flag
    assert "fix: python manage.py deploy --env dev --create-trail, or" in run.err
    assert clients()[1].describe_trails()["trailList"] == []
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []
