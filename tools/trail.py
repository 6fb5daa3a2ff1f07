"""`deploy --create-trail`: a multi-region CloudTrail trail that is logging, when
`check` finds no trail logging sign-ins (without one EventBridge gets no sign-in event).

What the console's "Create trail" page makes: an S3 bucket for the log files, a bucket
policy that lets only this trail write there, the trail (every region, management
events), and logging started. Read, compare, write if needed: a second run changes
nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tools.stages import APP_NAME

TRAIL_REGION = "us-east-1"  # the trail's home; it records every region
TRAIL_NAME = f"{APP_NAME}-management-events"


@dataclass(frozen=True)
class TrailPlan:
    account: str

    @property
    def bucket(self) -> str:
        return f"{APP_NAME}-trail-{self.account}"

    @property
    def trail_arn(self) -> str:
        return f"arn:aws:cloudtrail:{TRAIL_REGION}:{self.account}:trail/{TRAIL_NAME}"

    def bucket_policy(self) -> dict[str, Any]:
        """CloudTrail may read the bucket's ACL and write its own log files, for this
        trail only."""
        only_this_trail = {"aws:SourceArn": self.trail_arn}
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{self.bucket}",
                    "Condition": {"StringEquals": only_this_trail},
                },
                {
                    "Sid": "CloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{self.bucket}/AWSLogs/{self.account}/*",
                    "Condition": {
                        "StringEquals": {
                            **only_this_trail,
                            "s3:x-amz-acl": "bucket-owner-full-control",
                        }
                    },
                },
            ],
        }


def ensure_bucket(s3: Any, plan: TrailPlan, changes: list[str]) -> None:
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if plan.bucket not in existing:
        s3.create_bucket(Bucket=plan.bucket)
        changes.append(f"created bucket {plan.bucket} for the trail's log files")
    s3.put_public_access_block(
        Bucket=plan.bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    wanted = plan.bucket_policy()
    try:
        current = json.loads(s3.get_bucket_policy(Bucket=plan.bucket)["Policy"])
    except s3.exceptions.ClientError:
        current = None
    if current != wanted:
        s3.put_bucket_policy(Bucket=plan.bucket, Policy=json.dumps(wanted))
        changes.append(f"bucket {plan.bucket}: only trail {TRAIL_NAME} may write")


def ensure_trail(s3: Any, cloudtrail: Any, account: str, changes: list[str]) -> str:
    """The trail's ARN, once it exists, records every region and is logging."""
    plan = TrailPlan(account)
    ensure_bucket(s3, plan, changes)
    trails = {t["Name"]: t for t in cloudtrail.describe_trails()["trailList"]}
    trail = trails.get(TRAIL_NAME)
    if trail is None:
        trail = cloudtrail.create_trail(
            Name=TRAIL_NAME,
            S3BucketName=plan.bucket,
            IsMultiRegionTrail=True,
            IncludeGlobalServiceEvents=True,
            EnableLogFileValidation=True,
        )
        changes.append(f"created multi-region trail {TRAIL_NAME} in {TRAIL_REGION}")
    elif not trail.get("IsMultiRegionTrail") or trail.get("S3BucketName") != plan.bucket:
        cloudtrail.update_trail(Name=TRAIL_NAME, S3BucketName=plan.bucket, IsMultiRegionTrail=True)
        changes.append(f"trail {TRAIL_NAME}: every region, logs in {plan.bucket}")
    arn: str = trail["TrailARN"]
    if not cloudtrail.get_trail_status(Name=arn).get("IsLogging"):
        cloudtrail.start_logging(Name=arn)
        changes.append(f"trail {TRAIL_NAME}: logging started")
    return arn
