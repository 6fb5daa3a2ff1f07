"""How serious is a sign-in, and does it alert? Small pure rules, Panther style.

Each rule is a function `SignIn -> Finding | None` with a positive and a negative test
event beside it in tests/unit/test_rules.py. `evaluate` runs them all, keeps the most
serious finding, and applies the operator's watch list, ignore list and minimum
severity.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chalicelib.judge.severity import Severity
from chalicelib.settings import Settings
from chalicelib.signin.parse import Federation, Mfa, PrincipalType, Result, SignIn

CONSOLE_LOGIN = "ConsoleLogin"
ROOT_PASSWORD_RECOVERY = frozenset({"PasswordRecoveryRequested", "PasswordRecoveryCompleted"})
# Events that are recorded in the ledger but never alert by themselves: steps inside a
# sign-in (CheckMfa, CredentialChallenge) or moves of an already signed-in session.
RECORD_ONLY = frozenset(
    {"CheckMfa", "SwitchRole", "ExitRole", "RenewRole", "GetSigninToken", "CredentialChallenge"}
)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    title: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    title: str
    reasons: tuple[str, ...]
    alert: bool
    # Why it does not alert, for the log and the demo; empty when it alerts.
    skip_reason: str = ""
    trusted_network: bool = False
    # A new IP, a new country or impossible travel (judge/escalation.apply_places).
    new_place: bool = False


Rule = Callable[[SignIn], "Finding | None"]


def is_alerting_event(signin: SignIn) -> bool:
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


def _what(signin: SignIn) -> str:
    """What kind of sign-in, for titles: 'Console sign-in' or 'Identity Center sign-in'."""
    if signin.event_name in ("UserAuthentication", "CredentialVerification"):
        return "Identity Center sign-in"
    return "Console sign-in"


def root_console_success(signin: SignIn) -> Finding | None:
    if signin.is_root and signin.event_name == CONSOLE_LOGIN and signin.outcome is Result.SUCCESS:
        return Finding(Severity.CRITICAL, "Root console sign-in succeeded", "root sign-in")
    return None


def root_password_recovery(signin: SignIn) -> Finding | None:
    if signin.event_name in ROOT_PASSWORD_RECOVERY and (
        signin.is_root or signin.principal_type is PrincipalType.UNKNOWN
    ):
        step = "requested" if signin.event_name.endswith("Requested") else "completed"
        return Finding(
            Severity.CRITICAL, f"Root password recovery {step}", f"root password recovery {step}"
        )
    return None


def root_console_failure(signin: SignIn) -> Finding | None:
    if signin.is_root and signin.event_name == CONSOLE_LOGIN and signin.outcome is Result.FAILURE:
        return Finding(Severity.HIGH, "Root console sign-in failed", "failed root sign-in")
    return None


def success_without_mfa(signin: SignIn) -> Finding | None:
    """CIS CloudWatch.3, but never for SAML or Identity Center: CloudTrail cannot see the
    identity provider's MFA, so those sessions always read `MFAUsed: No`."""
    if (
        signin.event_name == CONSOLE_LOGIN
        and signin.outcome is Result.SUCCESS
        and signin.principal_type in (PrincipalType.IAM_USER, PrincipalType.ROOT)
        and signin.federation is Federation.NONE
        and signin.mfa is not Mfa.YES
    ):
        who = "Root" if signin.is_root else "IAM user"
        return Finding(Severity.HIGH, f"{who} console sign-in without MFA", "no MFA")
    return None


def failed_signin(signin: SignIn) -> Finding | None:
    if signin.outcome is Result.FAILURE:
        return Finding(Severity.MEDIUM, f"{_what(signin)} failed", "failed sign-in")
    return None


def successful_signin(signin: SignIn) -> Finding | None:
    if signin.outcome is Result.SUCCESS:
        return Finding(Severity.INFO, f"{_what(signin)} succeeded", "sign-in")
    return None


def unknown_outcome(signin: SignIn) -> Finding | None:
    if signin.outcome is Result.UNKNOWN:
        return Finding(Severity.LOW, f"{_what(signin)} with unknown result", "result unknown")
    return None


RULES: tuple[Rule, ...] = (
    root_console_success,
    root_password_recovery,
    root_console_failure,
    success_without_mfa,
    failed_signin,
    successful_signin,
    unknown_outcome,
)


def matches_any(signin: SignIn, patterns: Iterable[str]) -> str:
    """The first glob pattern matching the principal's ARN or display name, or ''."""
    candidates = [value for value in (signin.arn, signin.display_name) if value]
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


def evaluate(signin: SignIn, settings: Settings, rules: Iterable[Rule] = RULES) -> Verdict:
    findings = [finding for rule in rules if (finding := rule(signin)) is not None]
    if not findings:
        findings = [Finding(Severity.INFO, "Console sign-in event", "sign-in event")]
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

    skip_reason = ""
    if not is_alerting_event(signin):
        skip_reason = f"{signin.event_name} is recorded, not alerted"
    elif not watched and (ignored := matches_any(signin, settings.ignore_principals)):
        skip_reason = f"principal ignored ({ignored})"
    elif severity < settings.alert_min_severity:
        skip_reason = (
            f"{severity.name} is below ALERT_MIN_SEVERITY {settings.alert_min_severity.name}"
        )

    return Verdict(
        severity=severity,
        title=top.title,
        reasons=tuple(dict.fromkeys(reasons)),
        alert=not skip_reason,
        skip_reason=skip_reason,
        trusted_network=trusted,
    )
