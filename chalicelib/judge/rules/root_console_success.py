"""Root signs in to the console: always CRITICAL (Panther AWS.Console.RootLogin, CIS 3.6)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule, is_console_success
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    return signin.is_root and is_console_success(signin)


RULE = Rule(
    id="root.console_success",
    severity=Severity.CRITICAL,
    when="the root user signs in to the console",
    matches=matches,
    title=lambda signin: "Root console sign-in succeeded",
    reason=lambda signin: "root sign-in",
    cases=(
        Case("root signs in without MFA", True, "root_success_no_mfa.json"),
        Case("root signs in with a hardware key", True, "root_success_hardware_mfa.json"),
        Case("root fails to sign in", False, "root_failure.json"),
        Case("an IAM user named root signs in", False, "iam_user_named_root.json"),
    ),
)
