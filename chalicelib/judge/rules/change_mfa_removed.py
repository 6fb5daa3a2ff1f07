"""Any other MFA device deactivated or deleted: HIGH (GuardDuty's and Elastic's
credential-access sequences start here)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title, succeeded, target_words
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    change = signin.change
    return (
        change is not None
        and change.removes_mfa
        and not change.target_is_root
        and succeeded(signin)
    )


RULE = Rule(
    id="change.mfa_removed",
    severity=Severity.HIGH,
    when="an MFA device deactivated or deleted (`DeactivateMFADevice`, "
    "`DeleteVirtualMFADevice`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: f"MFA removed from {target_words(signin.change)}"
    if signin.change is not None and signin.change.target_key
    else "MFA device removed",
    cases=(
        Case("user1's device deactivated", True, "change_deactivate_mfa.json"),
        Case("user1's virtual device deleted", True, "change_delete_virtual_mfa.json"),
        Case("deactivation refused", False, "change_deactivate_mfa.json",
             changes={"errorCode": "AccessDenied"}),
        Case("an MFA device enabled", False, "change_enable_mfa_other.json"),
    ),
)  # fmt: skip
