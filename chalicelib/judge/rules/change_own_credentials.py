"""A user's own password changed or own MFA enabled, and a federation token minted:
LOW and quiet (recorded, listed by `/recent-logins changes`, counted in the digest,
posted only for a watched principal)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title, succeeded
from chalicelib.severity import Severity
from chalicelib.signin.change import ChangeKind
from chalicelib.signin.parse import SignIn

OWN = frozenset(
    {
        ChangeKind.PASSWORD_CHANGED,
        ChangeKind.MFA_ENABLED,
        ChangeKind.CONSOLE_PASSWORD_CREATED,
        ChangeKind.CONSOLE_PASSWORD_RESET,
    }
)


def matches(signin: SignIn) -> bool:
    change = signin.change
    if change is None or not succeeded(signin) or signin.is_root:
        return False
    return (change.kind in OWN and change.by_self) or change.kind is ChangeKind.FEDERATION_TOKEN


RULE = Rule(
    id="change.own_credentials",
    severity=Severity.LOW,
    when="quiet: a user changes their own password (`ChangePassword`) or enables their own "
    "MFA; a federated user session minted (`GetFederationToken`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: "own credentials",
    quiet=True,
    cases=(
        Case("an IAM user changes their password", True, "change_change_password.json"),
        Case("a federation token", True, "change_get_federation_token.json"),
        Case("root changes its password", False, "change_root_password_updated.json"),
        Case("a password reset by someone else", False,
             "change_update_login_profile_other.json"),
    ),
)  # fmt: skip
