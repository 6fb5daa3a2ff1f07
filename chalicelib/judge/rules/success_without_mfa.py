"""CIS CloudWatch.3: a console sign-in with a password and no MFA, by an IAM user or
root. Only when the record says "no": a SAML or Identity Center session's
`MFAUsed: No` is the identity provider's business (MFA "at the identity provider"),
and a record that says nothing is `success_mfa_not_recorded`'s."""

from __future__ import annotations

from chalicelib.judge.rules.base import PERSONAL_CREDENTIALS, Case, Rule, lacks_mfa
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    return lacks_mfa(signin) and signin.principal_type in PERSONAL_CREDENTIALS


def title(signin: SignIn) -> str:
    who = "Root" if signin.is_root else "IAM user"
    return f"{who} console sign-in without MFA"


RULE = Rule(
    id="console.success_without_mfa",
    severity=Severity.HIGH,
    when="an IAM user or root signs in and the record says without MFA (`MFAUsed: No`)",
    matches=matches,
    title=title,
    reason=lambda signin: "without MFA",
    cases=(
        Case("IAM user, MFAUsed No", True, "iam_user_success_no_mfa.json"),
        Case("root, MFAUsed No", True, "root_success_no_mfa.json"),
        Case("Identity Center session, MFAUsed No", False, "sso_success.json"),
        Case("SAML sign-in, MFAUsed No", False, "saml_iam_user_success.json"),
        Case("IAM user, MfaType SMS MFA", False, "iam_user_success_sms_mfa.json"),
        Case(
            "IAM user, no MFA information",
            False,
            "iam_user_success_no_mfa.json",
            changes={"additionalEventData": None},
        ),
    ),
)
