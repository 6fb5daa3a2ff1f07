"""How serious is a sign-in, and does it alert? Small pure rules, Panther style.

Each rule is declared in its own module beside this one (`base.Rule`: id, severity,
title, a pure predicate and its test events). `evaluate` runs them all, keeps the most
serious finding, and applies the operator's watch list, critical list, ignore list and
minimum severity. Records whose identity is the root user always alert.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.judge.rules.base import (
    CONSOLE_LOGIN,
    ROOT_PASSWORD_RECOVERY,
    Case,
    Rule,
    RuleMatch,
    lacks_mfa,
)
from chalicelib.judge.rules.change_assume_root import RULE as CHANGE_ASSUME_ROOT
from chalicelib.judge.rules.change_console_from_keys import RULE as CHANGE_CONSOLE_FROM_KEYS
from chalicelib.judge.rules.change_mfa_for_other import RULE as CHANGE_MFA_FOR_OTHER
from chalicelib.judge.rules.change_mfa_removed import RULE as CHANGE_MFA_REMOVED
from chalicelib.judge.rules.change_own_credentials import RULE as CHANGE_OWN_CREDENTIALS
from chalicelib.judge.rules.change_password_by_other import RULE as CHANGE_PASSWORD_BY_OTHER
from chalicelib.judge.rules.change_refused import RULE as CHANGE_REFUSED
from chalicelib.judge.rules.change_root_access_key import RULE as CHANGE_ROOT_ACCESS_KEY
from chalicelib.judge.rules.change_root_mfa_removed import RULE as CHANGE_ROOT_MFA_REMOVED
from chalicelib.judge.rules.change_root_step import RULE as CHANGE_ROOT_STEP
from chalicelib.judge.rules.failed_signin import RULE as FAILED_SIGNIN
from chalicelib.judge.rules.outside_organization import RULE as OUTSIDE_ORGANIZATION
from chalicelib.judge.rules.result_not_recorded import RULE as RESULT_NOT_RECORDED
from chalicelib.judge.rules.root_console_failure import RULE as ROOT_CONSOLE_FAILURE
from chalicelib.judge.rules.root_console_success import RULE as ROOT_CONSOLE_SUCCESS
from chalicelib.judge.rules.root_other_record import RULE as ROOT_OTHER_RECORD
from chalicelib.judge.rules.root_password_recovery import RULE as ROOT_PASSWORD_RECOVERY_RULE
from chalicelib.judge.rules.session_without_mfa import RULE as SESSION_WITHOUT_MFA
from chalicelib.judge.rules.success_mfa_not_recorded import RULE as SUCCESS_MFA_NOT_RECORDED
from chalicelib.judge.rules.success_without_mfa import RULE as SUCCESS_WITHOUT_MFA
from chalicelib.judge.rules.successful_signin import RULE as SUCCESSFUL_SIGNIN
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import PrincipalType, Result, SignIn

__all__ = [
    "ALL_RULES",
    "CHANGE_RULES",
    "RULES",
    "Case",
    "Rule",
    "RuleMatch",
    "Skip",
    "Verdict",
    "evaluate",
    "in_trusted_network",
    "is_alerting_event",
    "lacks_mfa",
    "matches_any",
]

# Events that are recorded in the ledger but never alert by themselves: steps inside a
# sign-in (CheckMfa, CredentialChallenge) or moves of an already signed-in session.
RECORD_ONLY = frozenset(
    {"CheckMfa", "SwitchRole", "ExitRole", "RenewRole", "GetSigninToken", "CredentialChallenge"}
)

RULES: tuple[Rule, ...] = (
    ROOT_CONSOLE_SUCCESS,
    ROOT_PASSWORD_RECOVERY_RULE,
    ROOT_CONSOLE_FAILURE,
    ROOT_OTHER_RECORD,
    OUTSIDE_ORGANIZATION,
    SUCCESS_WITHOUT_MFA,
    SESSION_WITHOUT_MFA,
    SUCCESS_MFA_NOT_RECORDED,
    FAILED_SIGNIN,
    SUCCESSFUL_SIGNIN,
    RESULT_NOT_RECORDED,
)
# The account changes' rules (signin/change.py): a record with a change is judged by
# these alone, so no sign-in rule reads an API call as a sign-in.
CHANGE_RULES: tuple[Rule, ...] = (
    CHANGE_ROOT_ACCESS_KEY,
    CHANGE_ROOT_MFA_REMOVED,
    CHANGE_ROOT_STEP,
    CHANGE_MFA_REMOVED,
    CHANGE_PASSWORD_BY_OTHER,
    CHANGE_ASSUME_ROOT,
    CHANGE_MFA_FOR_OTHER,
    CHANGE_CONSOLE_FROM_KEYS,
    CHANGE_REFUSED,
    CHANGE_OWN_CREDENTIALS,
)
ALL_RULES = RULES + CHANGE_RULES


class Skip(StrEnum):
    """Why a sign-in is recorded but not posted: a value code can branch on."""

    RECORD_ONLY = "record_only"
    IGNORED = "ignored"
    BELOW_MIN_SEVERITY = "below_min_severity"
    HELD_BACK = "held_back"  # storm control: a burst alert will tell it
    PART_OF_BURST = "part_of_burst"  # storm control: a burst alert tells it
    # A root CheckMfa: its ConsoleLogin's alert tells it, or the sweep after the wait.
    AWAITING_SIGNIN = "awaiting_signin"
    TOLD_BY_SIGNIN = "told_by_signin"  # a root CheckMfa whose ConsoleLogin came first


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    title: str
    reasons: tuple[str, ...]
    alert: bool
    # Why it does not alert, for the log and the demo; empty when it alerts.
    skip_reason: str = ""
    trusted_network: bool = False
    skip: Skip | None = None  # the kind of `skip_reason`; None when it alerts
    # A new IP, a new country or impossible travel (judge/escalation.apply_places).
    new_place: bool = False


def is_alerting_event(signin: SignIn) -> bool:
    """A sign-in as a person means it (what `/recent-logins` lists and the digest
    counts). Root records alert whatever their event: see `evaluate`."""
    name = signin.event_name
    if name == CONSOLE_LOGIN:
        return True
    if name in ROOT_PASSWORD_RECOVERY:
        return signin.is_root or signin.principal_type is PrincipalType.UNKNOWN
    if name == "UserAuthentication":
        return True
    if name == "CredentialVerification":
        return signin.outcome is Result.FAILURE
    return False


def matches_any(signin: SignIn, patterns: Iterable[str]) -> str:
    """The first glob pattern matching the principal's ARN or display name, or ''. A
    failed IAM sign-in's record has no ARN: its principal's (`principal_key`) is tried."""
    candidates = [
        value for value in (signin.arn, signin.principal_key, signin.display_name) if value
    ]
    for pattern in patterns:
        if any(fnmatch.fnmatchcase(value, pattern) for value in candidates):
            return pattern
    return ""


def in_trusted_network(signin: SignIn, settings: Settings) -> bool:
    try:
        address = ipaddress.ip_address(signin.source_ip)
    except ValueError:
        return False
    return any(address in network for network in settings.trusted_cidrs)


def evaluate(signin: SignIn, settings: Settings, rules: Iterable[Rule] | None = None) -> Verdict:
    if rules is None:
        rules = CHANGE_RULES if signin.change is not None else RULES
    findings = [finding for rule in rules if (finding := rule(signin)) is not None]
    if not findings:
        what = "Account change" if signin.change is not None else "Console sign-in event"
        findings = [RuleMatch(Severity.INFO, what, what.lower())]
    # The most serious finding names the alert; among equals, the first declared.
    top = max(findings, key=lambda finding: finding.severity)
    severity = top.severity
    reasons = [finding.reason for finding in findings if finding.severity > Severity.INFO]

    trusted = in_trusted_network(signin, settings)
    # A failure from the office network is a typo more often than an attack.
    if trusted and top.severity is Severity.MEDIUM and signin.outcome is Result.FAILURE:
        severity = Severity.LOW
        reasons.append("trusted network")

    watched = matches_any(signin, settings.watch_principals)
    if watched:
        severity = max(severity, Severity.HIGH)
        reasons.append(f"watched principal ({watched})")
    # A break-glass user: every sign-in of theirs is CRITICAL, and never ignored.
    critical = matches_any(signin, settings.critical_principals)
    if critical:
        severity = Severity.CRITICAL
        reasons.append(f"critical principal ({critical})")

    skip_reason, skip = "", None
    # Root is never quiet: not by its event name, nor by the ignore list; nor is an
    # event from outside the organization (its sender chose the principal's name).
    loud = signin.is_root or OUTSIDE_ORGANIZATION.matches(signin)
    recorded_only = signin.change is None and not is_alerting_event(signin)
    # A quiet change (its own password) is posted only for a watched principal.
    quiet = top.quiet and not watched and not critical
    if (recorded_only or quiet) and not loud:
        skip_reason, skip = f"{signin.event_name} is recorded, not alerted", Skip.RECORD_ONLY
    elif (
        not watched
        and not critical
        and not loud
        and (ignored := matches_any(signin, settings.ignore_principals))
    ):
        skip_reason, skip = f"principal ignored ({ignored})", Skip.IGNORED
    elif severity < settings.alert_min_severity:
        skip_reason, skip = below_min_severity(severity, settings), Skip.BELOW_MIN_SEVERITY

    return Verdict(
        severity=severity,
        title=top.title,
        reasons=tuple(dict.fromkeys(reasons)),
        alert=not skip_reason,
        skip_reason=skip_reason,
        trusted_network=trusted,
        skip=skip,
    )


def below_min_severity(severity: Severity, settings: Settings) -> str:
    return f"{severity.name} is below ALERT_MIN_SEVERITY {settings.alert_min_severity.name}"
