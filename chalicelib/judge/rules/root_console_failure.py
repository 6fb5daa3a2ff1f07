"""A failed root sign-in (Panther AWS.Console.RootLoginFailed)."""

from __future__ import annotations

from chalicelib.judge.rules.base import CONSOLE_LOGIN, Case, Rule
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, SignIn


def matches(signin: SignIn) -> bool:
    return (
        signin.is_root and signin.event_name == CONSOLE_LOGIN and signin.outcome is Result.FAILURE
    )


RULE = Rule(
    id="root.console_failure",
    severity=Severity.HIGH,
    when="a root console sign-in fails",
    matches=matches,
    title=lambda signin: "Root console sign-in failed",
    reason=lambda signin: "failed root sign-in",
    cases=(
        Case("wrong root password", True, "root_failure.json"),
        Case("an IAM user fails", False, "iam_user_failure.json"),
    ),
)
