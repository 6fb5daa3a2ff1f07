"""Synthetic CloudTrail ConsoleLogin records, shaped like the real ones in tests/events.

For tests, the bench and local demos: a realistic mix of IAM users with and without
MFA, Identity Center (SSO) sessions, root, and failures, spread over a period.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNTS = ("111122223333", "444455556666", "777788889999")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")


@dataclass(frozen=True)
class Login:
    event_id: str
    at: datetime
    name: str = "alice"
    kind: str = "IAMUser"  # IAMUser, Root, AssumedRole (an Identity Center session)
    account_id: str = ACCOUNTS[0]
    region: str = "us-east-1"
    source_ip: str = "198.51.100.7"
    success: bool = True
    mfa: bool = True
    user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"

    def record(self) -> dict[str, Any]:
        """The CloudTrail record (what LookupEvents returns as CloudTrailEvent)."""
        identity: dict[str, Any] = {"type": self.kind, "accountId": self.account_id}
        if self.kind == "Root":
            identity |= {"arn": f"arn:aws:iam::{self.account_id}:root", "principalId": "AID0"}
        elif self.kind == "AssumedRole":
            role = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
            identity |= {
                "arn": f"arn:aws:sts::{self.account_id}:assumed-role/{role}/{self.name}",
                "principalId": f"AROA0:{self.name}",
                "sessionContext": {"sessionIssuer": {"type": "Role", "userName": role}},
            }
        else:
            identity |= {
                "arn": f"arn:aws:iam::{self.account_id}:user/{self.name}",
                "principalId": f"AIDA{zlib.crc32(self.name.encode()):010d}",
                "userName": self.name,
            }
        record: dict[str, Any] = {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": self.region,
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
            "requestParameters": None,
            "responseElements": {"ConsoleLogin": "Success" if self.success else "Failure"},
            "additionalEventData": {
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": "Yes" if self.mfa else "No",
            },
            "eventID": self.event_id,
            "readOnly": False,
            "eventType": "AwsConsoleSignIn",
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",
        }
        if not self.success:
            record["errorMessage"] = "Failed authentication"
        return record

    def envelope(self) -> dict[str, Any]:
        """As EventBridge delivers it to the `console_signin` handler."""
        return {
            "version": "0",
            "id": f"eb-{self.event_id}",
            "detail-type": "AWS Console Sign In via CloudTrail",
            "source": "aws.signin",
            "account": self.account_id,
            "time": self.record()["eventTime"],
            "region": self.region,
            "resources": [],
            "detail": self.record(),
        }


def spread(count: int, *, days: int, now: datetime, seed: int = 7) -> list[Login]:
    """`count` sign-ins spread evenly at random over the `days` before `now`."""
    rng = random.Random(seed)
    logins = []
    for number in range(count):
        roll = rng.random()
        kind = "Root" if roll < 0.02 else "AssumedRole" if roll < 0.30 else "IAMUser"
        logins.append(
            Login(
                event_id=f"synthetic-{seed}-{number:07d}",
                at=now - timedelta(seconds=rng.uniform(0, days * 86_400)),
                name=rng.choice(USERS),
                kind=kind,
                account_id=rng.choice(ACCOUNTS),
                region=rng.choice(REGIONS),
                source_ip=f"203.0.113.{rng.randrange(1, 255)}",
                success=rng.random() > 0.08,
                mfa=rng.random() > 0.10,
            )
        )
    return logins
