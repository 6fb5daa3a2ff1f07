"""The root user's MFA device deactivated or deleted: CRITICAL (root then signs in with
its password alone)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title, succeeded
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn

ROOT_IDENTITY = {
    "type": "Root",
    "principalId": "012345678901",
    "arn": "arn:aws:iam::012345678901:root",
    "accountId": "012345678901",
}


def matches(signin: SignIn) -> bool:
    change = signin.change
    return change is not None and change.removes_mfa and change.target_is_root and succeeded(signin)


RULE = Rule(
    id="change.root_mfa_removed",
    severity=Severity.CRITICAL,
    when="the root user's MFA device deactivated or deleted "
    "(`DeactivateMFADevice`, `DeleteVirtualMFADevice`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: "root MFA removed",
    cases=(
        Case("root deactivates its own device", True, "change_deactivate_mfa.json",
             changes={"requestParameters": {
                 "serialNumber": "arn:aws:iam::012345678901:mfa/root-account-mfa-device"}}),
        Case("root deletes its own virtual device", True, "change_delete_virtual_mfa.json",
             changes={"requestParameters": {
                 "serialNumber": "arn:aws:iam::012345678901:mfa/root-account-mfa-device"}}),
        Case("root deactivates user1's device", False, "change_deactivate_mfa.json"),
        Case("root deletes user1's device", False, "change_delete_virtual_mfa.json"),
    ),
)  # fmt: skip
