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
from chalicelib.signin.parse import UNKNOWN_EVENT, Federation, Mfa, PrincipalType, Result, SignIn
from chalicelib.signin.service import Service

CONSOLE_LOGIN = "ConsoleLogin"
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


_TITLES = {
    Service.AWS_CONSOLE: "Console sign-in",
    Service.ACCESS_PORTAL: "AWS access portal sign-in",
    Service.WORKSPACES: "Amazon WorkSpaces sign-in",
    Service.TRANSFER_WEB_APP: "Transfer Family web app sign-in",
    Service.OTHER: "Sign-in to another service",
}


def what(signin: SignIn) -> str:
    """What kind of sign-in, for titles, named by the service the record says it was
    to ('Console sign-in', 'Amazon WorkSpaces sign-in'); 'Identity Center sign-in' only
    when the record names no service but says Identity Center; else 'Sign-in'. Never
    event text: a host the record names is shown in the alert's fields."""
    service = signin.service.service
    if service is Service.NOT_RECORDED:
        if signin.federation is Federation.IDENTITY_CENTER:
            return "Identity Center sign-in"
        return "Sign-in"
    return _TITLES[service]


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
