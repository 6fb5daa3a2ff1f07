"""A console sign-in by a role session (or a federated user) that is not
MFA-authenticated, outside SAML and Identity Center: someone turned role
credentials into a console session through the federation endpoint. Legitimate
identity brokers do this too, and their own MFA is unseen, so MEDIUM, not HIGH
(README: "Plain assumed-role sign-ins")."""

from __future__ import annotations

from chalicelib.judge.rules.base import PERSONAL_CREDENTIALS, Case, Rule, lacks_mfa
from chalicelib.severity import Severity
from chalicelib.signin.parse import PrincipalType, SignIn


def matches(signin: SignIn) -> bool:
    return lacks_mfa(signin) and signin.principal_type not in PERSONAL_CREDENTIALS


def title(signin: SignIn) -> str:
    who = "Role" if signin.principal_type is PrincipalType.ASSUMED_ROLE else "Federated"
    return f"{who} console sign-in without MFA"


RULE = Rule(
    id="console.session_without_mfa",
    severity=Severity.MEDIUM,
    when="a role session or federated user signs in, not SAML or Identity Center, "
    "and the record says without MFA (`mfaAuthenticated: false`)",
    matches=matches,
    title=title,
    reason=lambda signin: "without MFA",
    cases=(
        Case("plain assumed role, mfaAuthenticated false", True, "assumed_role_no_mfa.json"),
        Case("Identity Center session", False, "sso_success.json"),
        Case("IAM user without MFA", False, "iam_user_success_no_mfa.json"),
    ),
)
