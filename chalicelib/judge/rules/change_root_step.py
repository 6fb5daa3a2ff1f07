"""Root is never quiet, in account changes too: any other change the root user makes, or
that changes the root user (its password, e-mail, keys, MFA), is HIGH, refused or not
(Panther AWS.CloudTrail.RootPasswordChanged: High)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_root_access_key import RULE as ROOT_KEY
from chalicelib.judge.rules.change_root_mfa_removed import RULE as ROOT_MFA
from chalicelib.judge.rules.change_words import change_title, target_words
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    change = signin.change
    if change is None or ROOT_KEY.matches(signin) or ROOT_MFA.matches(signin):
        return False
    return signin.is_root or (change.target_is_root and change.target_key == signin.principal_key)


def reason(signin: SignIn) -> str:
    change = signin.change
    target = target_words(change) if change is not None else "the root user"
    return f"root step: {signin.event_name} on {target}"


RULE = Rule(
    id="change.root_step",
    severity=Severity.HIGH,
    when="any other change by or to the root user: password (`PasswordUpdated`), e-mail "
    "(`EmailUpdated`), access keys, MFA enabled, changes it makes to others",
    matches=matches,
    title=change_title,
    reason=reason,
    cases=(
        Case("root changes its password", True, "change_root_password_updated.json"),
        Case("root changes its e-mail address", True, "change_root_email_updated.json"),
        Case("root deactivates a key", True, "change_root_update_access_key.json"),
        Case("root enables user1's MFA", True, "change_enable_mfa_other.json"),
        Case("root's password change fails", True, "change_root_password_updated.json",
             changes={"responseElements": {"PasswordUpdated": "Failure"}}),
        Case("root creates its own key (CRITICAL rule)", False,
             "change_root_create_access_key.json"),
        Case("an IAM user changes their password", False, "change_change_password.json"),
    ),
)  # fmt: skip
