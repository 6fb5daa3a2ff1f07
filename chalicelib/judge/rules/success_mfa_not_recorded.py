"""An IAM user or root signs in and the record says nothing about MFA (no `MFAUsed`,
no MFA type or device). Not "without MFA", which would claim more than the record
does, and not INFO either: a password sign-in whose second factor nobody can confirm
is worth a look."""

from __future__ import annotations

from chalicelib.judge.rules.base import PERSONAL_CREDENTIALS, Case, Rule, is_console_success
from chalicelib.severity import Severity
from chalicelib.signin.parse import Mfa, PrincipalType, SignIn


def matches(signin: SignIn) -> bool:
    return (
        is_console_success(signin)
        and signin.mfa is Mfa.NOT_RECORDED
        and (signin.principal_type in PERSONAL_CREDENTIALS
             or signin.principal_type is PrincipalType.UNKNOWN)
    )  # fmt: skip


def title(signin: SignIn) -> str:
    who = "Root" if signin.is_root else "IAM user"
    return f"{who} console sign-in, MFA not recorded"


RULE = Rule(
    id="console.success_mfa_not_recorded",
    severity=Severity.MEDIUM,
    when="an IAM user signs in and the record says nothing about MFA",
    matches=matches,
    title=title,
    reason=lambda signin: "MFA not recorded",
    cases=(
        Case(
            "IAM user, no additionalEventData",
            True,
            "iam_user_success_no_mfa.json",
            changes={"additionalEventData": None},
        ),
        Case("IAM user, MFAUsed No", False, "iam_user_success_no_mfa.json"),
        Case("IAM user, MFAIdentifier only", False, "iam_user_success_no_mfa.json",
             changes={"additionalEventData": {
                 "MFAIdentifier": "arn:aws:iam::123456789012:mfa/homer"}}),
        Case("Identity Center session", False, "sso_success.json"),
    ),
)  # fmt: skip
