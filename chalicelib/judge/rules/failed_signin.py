"""Any failed sign-in (Panther AWS.Console.LoginFailed; CIS CloudWatch.6)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule, what
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, SignIn


def matches(signin: SignIn) -> bool:
    return signin.outcome is Result.FAILURE


RULE = Rule(
    id="signin.failed",
    severity=Severity.MEDIUM,
    when="any other failed sign-in (LOW from `TRUSTED_CIDRS`, or from an IP its principal "
    "signed in from before: a typo)",
    matches=matches,
    title=lambda signin: f"{what(signin)} failed",
    reason=lambda signin: "failed sign-in",
    cases=(
        Case("wrong password", True, "iam_user_failure.json"),
        Case("Identity Center password failure", True, "identity_center_verification_failure.json"),
        Case("success", False, "iam_user_success_mfa.json"),
    ),
)
