"""What a rule is: an id, a severity, a title, one pure predicate, and its test events.

Panther's layout: each rule lives in its own module with the cases that show it, and
`tests/unit/test_rules.py` runs every case of every rule, so a rule cannot be added
without the events that prove it. The README's severity table is generated from these
declarations (`python -m tools.rules_table`) and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.severity import Severity
from chalicelib.signin.parse import UNKNOWN_EVENT, Mfa, PrincipalType, Result, SignIn

CONSOLE_LOGIN = "ConsoleLogin"
IDENTITY_CENTER_SIGNINS = frozenset({"UserAuthentication", "CredentialVerification"})
ROOT_PASSWORD_RECOVERY = frozenset({"PasswordRecoveryRequested", "PasswordRecoveryCompleted"})
# Principals whose console sign-in is a person's own password: MFA is theirs to use.
PERSONAL_CREDENTIALS = frozenset({PrincipalType.IAM_USER, PrincipalType.ROOT})


@dataclass(frozen=True)
class RuleMatch:
    severity: Severity
    title: str
    reason: str
    rule_id: str = ""
    quiet: bool = False  # recorded at its severity, never posted by itself


@dataclass(frozen=True)
class Case:
    """A test event: a file in tests/events, with fields of its record replaced
    (`None` writes null) or dropped, and whether the rule must fire on it."""

    name: str
    expected: bool
    event: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    when: str  # one line for the README's severity table
    matches: Callable[[SignIn], bool]
    title: Callable[[SignIn], str]
    reason: Callable[[SignIn], str]
    cases: tuple[Case, ...]
    # Recorded, listed and counted, but not posted (unless the principal is watched).
    quiet: bool = False

    def __call__(self, signin: SignIn) -> RuleMatch | None:
        if not self.matches(signin):
            return None
        return RuleMatch(
            self.severity, self.title(signin), self.reason(signin), self.id, self.quiet
        )


def what(signin: SignIn) -> str:
    """What kind of sign-in, for titles: 'Console sign-in' or 'Identity Center sign-in'."""
    if signin.event_name in IDENTITY_CENTER_SIGNINS:
        return "Identity Center sign-in"
    return "Console sign-in"


def is_console_success(signin: SignIn) -> bool:
    return signin.event_name == CONSOLE_LOGIN and signin.outcome is Result.SUCCESS


def lacks_mfa(signin: SignIn) -> bool:
    """A successful sign-in whose record says it was made without MFA. The one
    definition of "without MFA": alert titles, `nomfa` and the digest all use it."""
    return is_console_success(signin) and signin.mfa is Mfa.NO


def not_told(signin: SignIn) -> list[str]:
    """What the record does not say, in the words a message uses."""
    missing = []
    if signin.event_name == UNKNOWN_EVENT:
        missing.append("event name")
    if signin.outcome is Result.UNKNOWN:
        missing.append("result")
    if signin.mfa is Mfa.NOT_RECORDED:
        missing.append("MFA")
    if signin.source_ip == "unknown":
        missing.append("source IP")
    return missing
