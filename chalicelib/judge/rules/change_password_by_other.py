"""A console password given to an IAM user, or reset, by someone other than that user:
HIGH. The classic way to turn leaked keys into console access or to wake a dormant
user (Sigma: AWS User Login Profile Was Modified; Stratus Red Team
aws.persistence.iam-create-user-login-profile)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title, succeeded, target_words
from chalicelib.severity import Severity
from chalicelib.signin.change import ChangeKind
from chalicelib.signin.parse import SignIn

GIVEN = frozenset({ChangeKind.CONSOLE_PASSWORD_CREATED, ChangeKind.CONSOLE_PASSWORD_RESET})


def matches(signin: SignIn) -> bool:
    change = signin.change
    return (
        change is not None
        and change.kind in GIVEN
        and not change.by_self
        and not change.target_is_root
        and succeeded(signin)
    )


def reason(signin: SignIn) -> str:
    change = signin.change
    assert change is not None
    verb = "given to" if change.kind is ChangeKind.CONSOLE_PASSWORD_CREATED else "reset for"
    return f"console password {verb} {target_words(change)} by someone else"


RULE = Rule(
    id="change.password_by_other",
    severity=Severity.HIGH,
    when="a console password given (`CreateLoginProfile`) or reset (`UpdateLoginProfile`) "
    "by someone other than its user; a role session named like the user is someone else",
    matches=matches,
    title=change_title,
    reason=reason,
    cases=(
        Case("an IAM user gives Cli1 a password", True, "change_create_login_profile.json"),
        Case("a role session resets bob's password", True,
             "change_update_login_profile_other.json"),
        Case("a role session named alice resets alice's", True,
             "change_update_login_profile_role_session.json"),
        Case("refused", False, "change_create_login_profile.json",
             changes={"errorCode": "AccessDenied"}),
        Case("an IAM user changes their own password", False, "change_change_password.json"),
    ),
)  # fmt: skip
