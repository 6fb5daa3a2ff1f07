"""A sign-in event sent by an account outside the organization, or whose record names
another account than the one that sent it: someone forwards events into the app's bus.
Decided by `organization/trust.py` (the `Origin` on the sign-in), never from text."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn

OUTSIDE_TITLE = "Sign-in event from an account outside the organization"


def matches(signin: SignIn) -> bool:
    return bool(signin.claimed_account) or not signin.origin.origin.trusted


def reason(signin: SignIn) -> str:
    if signin.claimed_account:
        return (
            f"from an account outside the organization: sent by {signin.account_id}, "
            f"its record names {signin.claimed_account}"
        )
    return f"from an account outside the organization ({signin.account_id})"


RULE = Rule(
    id="account.outside_organization",
    severity=Severity.HIGH,
    when="an event comes from an account outside the organization, or names another",
    matches=matches,
    title=lambda signin: OUTSIDE_TITLE,
    reason=reason,
    cases=(
        Case(
            "the record names another account than its sender",
            True,
            "member_account_forwarded.json",
            {"recipientAccountId": "111122223333"},
        ),
        Case(
            "a member's own sign-in, sender and record agree",
            False,
            "member_account_forwarded.json",
        ),
    ),
)
