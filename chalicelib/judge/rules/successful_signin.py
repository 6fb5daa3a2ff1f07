"""Any successful sign-in: one quiet line."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule, what
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, SignIn


def matches(signin: SignIn) -> bool:
    return signin.outcome is Result.SUCCESS


RULE = Rule(
    id="signin.succeeded",
    severity=Severity.INFO,
    when="any other successful sign-in (MFA yes, or at the identity provider or Identity Center)",
    matches=matches,
    title=lambda signin: f"{what(signin)} succeeded",
    reason=lambda signin: "sign-in",
    cases=(
        Case("IAM user with MFA", True, "iam_user_success_mfa.json"),
        Case("failure", False, "iam_user_failure.json"),
    ),
)
