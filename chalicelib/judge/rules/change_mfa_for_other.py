"""An MFA device enabled for someone else: MEDIUM. Whoever holds the device now holds
that user's second factor."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title, succeeded, target_words
from chalicelib.severity import Severity
from chalicelib.signin.change import ChangeKind
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    change = signin.change
    return (
        change is not None
        and change.kind is ChangeKind.MFA_ENABLED
        and not change.by_self
        and succeeded(signin)
    )


RULE = Rule(
    id="change.mfa_enabled_for_other",
    severity=Severity.MEDIUM,
    when="an MFA device enabled for someone else (`EnableMFADevice`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: f"MFA device enabled for {target_words(signin.change)} by someone "
    "else" if signin.change is not None else "MFA device enabled",
    cases=(
        Case("root enables user1's device", True, "change_enable_mfa_other.json"),
        Case("user1 enables their own", False, "change_enable_mfa_other.json",
             changes={"userIdentity": {"type": "IAMUser", "userName": "user1",
                                       "arn": "arn:aws:iam::012345678901:user/user1",
                                       "accountId": "012345678901"}}),
    ),
)  # fmt: skip
