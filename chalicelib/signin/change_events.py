"""The account-change events: the steps around a sign-in that change how someone signs
in, each as AWS records it (`eventSource`, `eventName`), where it is delivered from, and
the AWS page and public record it was checked against (tests/events/SOURCES.md).

`ACCOUNT_CHANGE_PATTERN` names each event: it never subscribes to all API calls, so the
handler runs only for these (docs/account-changes.md has the monthly count). Three of
them (`PasswordUpdated`, `EmailUpdated`, `GetSigninToken`) are AWS Sign-In events that
the sign-in pattern delivers already: they are declared here and subscribed there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

API_CALL = "AWS API Call via CloudTrail"
IAM = "iam.amazonaws.com"
STS = "sts.amazonaws.com"
SIGNIN = "signin.amazonaws.com"
# EventBridge's `source` for each CloudTrail `eventSource`.
BUS_SOURCES = {IAM: "aws.iam", STS: "aws.sts", SIGNIN: "aws.signin"}


class Subscription(StrEnum):
    """Which pattern (a `FORWARDED_PATTERNS` entry) delivers an event."""

    SIGNINS = "signins"
    CHANGES = "changes"


@dataclass(frozen=True)
class DeclaredEvent:
    event_source: str
    event_name: str
    what: str  # one line for the docs' table
    subscription: Subscription
    documented: str  # the AWS page that names it
    record: str  # its public record in tests/events
    # Only the root user's calls: CreateAccessKey by anyone else is not subscribed.
    root_only: bool = False
    recorded_in: str = "us-east-1"

    @property
    def bus_source(self) -> str:
        return BUS_SOURCES[self.event_source]


_IAM_LOG = "https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html"
_SIGNIN_LOG = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "cloudtrail-event-reference-aws-console-sign-in-events.html"
)
_ROOT_TASKS = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html"
)
_FEDERATION = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html"
_STS_REGION = "the region of the STS endpoint used"

DECLARED_EVENTS: tuple[DeclaredEvent, ...] = (
    DeclaredEvent(IAM, "CreateLoginProfile", "a console password given to an IAM user",
                  Subscription.CHANGES, _IAM_LOG, "change_create_login_profile.json"),
    DeclaredEvent(IAM, "UpdateLoginProfile", "an IAM user's console password reset",
                  Subscription.CHANGES, _IAM_LOG, "change_update_login_profile_other.json"),
    DeclaredEvent(IAM, "ChangePassword", "an IAM user changes their own password",
                  Subscription.CHANGES, _IAM_LOG, "change_change_password.json"),
    DeclaredEvent(IAM, "DeactivateMFADevice", "an MFA device deactivated",
                  Subscription.CHANGES, _IAM_LOG, "change_deactivate_mfa.json"),
    DeclaredEvent(IAM, "DeleteVirtualMFADevice", "a virtual MFA device deleted",
                  Subscription.CHANGES, _IAM_LOG, "change_delete_virtual_mfa.json"),
    DeclaredEvent(IAM, "EnableMFADevice", "an MFA device enabled",
                  Subscription.CHANGES, _IAM_LOG, "change_enable_mfa_other.json"),
    DeclaredEvent(IAM, "CreateAccessKey", "the root user creates an access key",
                  Subscription.CHANGES, _IAM_LOG, "change_root_create_access_key.json",
                  root_only=True),
    DeclaredEvent(IAM, "UpdateAccessKey", "the root user activates or deactivates a key",
                  Subscription.CHANGES, _IAM_LOG, "change_root_update_access_key.json",
                  root_only=True),
    DeclaredEvent(IAM, "DeleteAccessKey", "the root user deletes an access key",
                  Subscription.CHANGES, _IAM_LOG, "change_root_delete_access_key.json",
                  root_only=True),
    DeclaredEvent(SIGNIN, "PasswordUpdated", "a password changed in the console (root's)",
                  Subscription.SIGNINS, _SIGNIN_LOG, "change_root_password_updated.json"),
    DeclaredEvent(SIGNIN, "EmailUpdated", "the root user's e-mail address changed",
                  Subscription.SIGNINS, _SIGNIN_LOG, "change_root_email_updated.json"),
    DeclaredEvent(STS, "AssumeRoot", "a root task session in a member account",
                  Subscription.CHANGES, _ROOT_TASKS, "change_assume_root.json",
                  recorded_in=_STS_REGION),
    DeclaredEvent(STS, "GetFederationToken", "access keys mint a federated user session",
                  Subscription.CHANGES, _FEDERATION, "change_get_federation_token.json",
                  recorded_in=_STS_REGION + " (us-east-1 for the global one)"),
    DeclaredEvent(SIGNIN, "GetSigninToken", "a federated user session turned into console "
                  "access", Subscription.SIGNINS, _SIGNIN_LOG,
                  "change_federated_signin_token.json"),
)  # fmt: skip

DECLARED = {(event.event_source, event.event_name): event for event in DECLARED_EVENTS}


def declared(event_source: str, event_name: str) -> DeclaredEvent | None:
    return DECLARED.get((event_source, event_name))


def _names(events: list[DeclaredEvent]) -> list[str]:
    return sorted({event.event_name for event in events})


def change_pattern(events: tuple[DeclaredEvent, ...] = DECLARED_EVENTS) -> dict[str, Any]:
    """The EventBridge pattern naming each subscribed event, by its source; the root-only
    ones also by the caller's type."""
    mine = [event for event in events if event.subscription is Subscription.CHANGES]
    branches: list[dict[str, Any]] = []
    for source in sorted({event.event_source for event in mine}):
        for root_only in (False, True):
            group = [e for e in mine if e.event_source == source and e.root_only is root_only]
            if not group:
                continue
            detail: dict[str, Any] = {"eventSource": [source], "eventName": _names(group)}
            if root_only:
                detail["userIdentity"] = {"type": ["Root"]}
            branches.append({"source": [BUS_SOURCES[source]], "detail": detail})
    return {"detail-type": [API_CALL], "$or": branches}
