"""Console sign-in events as EventBridge delivers them, for tests, the bench and demos."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "123456789012"


def console_login(
    event_id: str,
    when: datetime,
    *,
    user: str = "root",
    ip: str = "203.0.113.7",
    success: bool = False,
    mfa: bool = False,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    """A ConsoleLogin record: root when `user` is "root", else an IAM user."""
    if user == "root":
        identity = {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
        }
    else:
        identity = {
            "type": "IAMUser",
            "principalId": f"AIDA{zlib.crc32(user.encode()):012d}",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "userName": user,
        }
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": stamp,
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa else "No",
        },
        "eventID": event_id,
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": account,
    }
    if not success:
        detail["errorMessage"] = "Failed authentication"
    return {
        "version": "0",
        "id": f"envelope-{event_id}",
        "detail-type": "AWS Console Sign In via CloudTrail",
        "source": "aws.signin",
        "account": account,
        "time": stamp,
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def hidden_name_failure(event_id: str, when: datetime, *, ip: str) -> dict[str, Any]:
    """A failed ConsoleLogin under a name that is no user of the account: AWS records it
    as `HIDDEN_DUE_TO_SECURITY_REASONS`, with no ARN (a guess in a password spray)."""
    event = console_login(event_id, when, user="guess", ip=ip)
    identity = event["detail"]["userIdentity"]
    identity["userName"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
    del identity["arn"]
    return event


def scheduled_event(now: datetime, event_id: str = "demo") -> dict[str, Any]:
    """What EventBridge hands a schedule's handler (`Rate`, `Cron`) at `now`."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
