"""Root is never quiet: any other record whose identity is the root user is HIGH,
whatever its event name or result, and says what the record could not tell."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule, not_told
from chalicelib.judge.rules.root_console_failure import RULE as ROOT_FAILURE
from chalicelib.judge.rules.root_console_success import RULE as ROOT_SUCCESS
from chalicelib.judge.rules.root_password_recovery import RULE as ROOT_RECOVERY
from chalicelib.severity import Severity
from chalicelib.signin.parse import UNKNOWN_EVENT, SignIn


def matches(signin: SignIn) -> bool:
    told = (ROOT_SUCCESS, ROOT_FAILURE, ROOT_RECOVERY)
    return signin.is_root and not any(rule.matches(signin) for rule in told)


def title(signin: SignIn) -> str:
    if signin.event_name == UNKNOWN_EVENT:
        return "Root user record without an event name"
    if signin.event_name == "ConsoleLogin":
        return "Root console sign-in, result not recorded"
    return f"Root user {signin.event_name}"


def reason(signin: SignIn) -> str:
    missing = not_told(signin)
    if not missing:
        return "root user record"
    return f"root user record; it does not say the {', '.join(missing)}"


RULE = Rule(
    id="root.any_other_record",
    severity=Severity.HIGH,
    when="any other record whose identity is the root user "
    "(no event name, no result, CheckMfa, ...)",
    matches=matches,
    title=title,
    reason=reason,
    cases=(
        Case("root record without an event name", True, "root_failure.json", drop=("eventName",)),
        Case(
            "root ConsoleLogin with neither Success nor Failure",
            True,
            "root_failure.json",
            changes={"responseElements": {"ConsoleLogin": "Pending"}, "errorMessage": None},
        ),
        Case("root CheckMfa", True, "check_mfa.json", changes={"userIdentity": {
            "type": "Root", "arn": "arn:aws:iam::111122223333:root",
            "accountId": "111122223333", "principalId": "111122223333"}}),
        Case("root fails to sign in", False, "root_failure.json"),
        Case("root signs in", False, "root_success_no_mfa.json"),
        Case("an IAM user named root, no event name", False, "iam_user_named_root.json",
             drop=("eventName",)),
    ),
)  # fmt: skip
