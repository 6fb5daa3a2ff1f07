"""An account change AWS refused (the record has an errorCode): MEDIUM. Nothing
changed, but someone tried to give themselves a way in."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, SignIn


def matches(signin: SignIn) -> bool:
    return signin.change is not None and signin.outcome is Result.FAILURE


RULE = Rule(
    id="change.refused",
    severity=Severity.MEDIUM,
    when="an account change AWS refused (HIGH for the root user's)",
    matches=matches,
    title=change_title,
    reason=lambda signin: f"{signin.event_name} refused: {signin.failure_reason or 'error'}",
    cases=(
        Case("a password reset refused", True, "change_update_login_profile_other.json",
             changes={"errorCode": "AccessDenied", "errorMessage": "not authorized"}),
        Case("a password reset", False, "change_update_login_profile_other.json"),
    ),
)  # fmt: skip
