"""Every rule against the test events declared beside it, docs/severity.md's table against
the rules, then the verdict's settings (watch, ignore, minimum severity, trusted)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.judge import rules
from chalicelib.judge.rules import Case, Rule
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import SignIn, parse_signin
from tests.conftest import load_event
from tools.rules_table import rules_table

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SEVERITY_PAGE = Path(__file__).parents[2] / "docs" / "severity.md"


def case_event(case: Case) -> dict[str, Any]:
    """The case's event: its file, with fields of the record replaced or dropped."""
    event = copy.deepcopy(load_event(case.event))
    record = event.get("detail", event)
    record.update(copy.deepcopy(dict(case.changes)))
    for name in case.drop:
        record.pop(name, None)
    return event


def case_signin(case: Case) -> SignIn:
    return parse_signin(case_event(case), received_at=NOW)


def signin(name: str, **changes: Any) -> SignIn:
    return case_signin(Case(name, True, name, changes=changes))


CASES = [(rule, case) for rule in rules.ALL_RULES for case in rule.cases]


@pytest.mark.parametrize(
    ("rule", "case"), CASES, ids=[f"{rule.id}: {case.name}" for rule, case in CASES]
)
def test_rule_fires_exactly_on_its_positive_cases(rule: Rule, case: Case) -> None:
    finding = rule(case_signin(case))
    assert (finding is not None) is case.expected
    if finding is not None:
        assert (finding.severity, finding.rule_id) == (rule.severity, rule.id)


@pytest.mark.parametrize("rule", rules.ALL_RULES, ids=[rule.id for rule in rules.ALL_RULES])
def test_every_rule_has_a_positive_and_a_negative_case(rule: Rule) -> None:
    assert {case.expected for case in rule.cases} == {True, False}


def test_rule_ids_are_unique() -> None:
    ids = [rule.id for rule in rules.ALL_RULES]
    assert len(ids) == len(set(ids))


def test_severity_page_table_is_the_rules_own() -> None:
    assert rules_table() in SEVERITY_PAGE.read_text()


@pytest.mark.parametrize(
    "name", ["sso_success.json", "saml_iam_user_success.json"], ids=["sso", "saml"]
)
def test_federated_sessions_are_never_flagged_for_mfa(name: str) -> None:
    verdict = rules.evaluate(signin(name), Settings())
    assert verdict.severity is Severity.INFO
    assert "without MFA" not in verdict.reasons


@pytest.mark.parametrize(
    ("name", "changes", "severity", "title"),
    [
        ("root_success_no_mfa.json", {}, Severity.CRITICAL, "Root console sign-in succeeded"),
        ("root_failure.json", {}, Severity.HIGH, "Root console sign-in failed"),
        ("iam_user_success_no_mfa.json", {}, Severity.HIGH, "IAM user console sign-in without MFA"),
        ("iam_user_success_no_mfa.json", {"additionalEventData": None}, Severity.MEDIUM,
         "IAM user console sign-in, MFA not recorded"),
        ("iam_user_success_sms_mfa.json", {}, Severity.INFO, "Console sign-in succeeded"),
        ("assumed_role_no_mfa.json", {}, Severity.MEDIUM, "Role console sign-in without MFA"),
        ("iam_user_failure.json", {}, Severity.MEDIUM, "Console sign-in failed"),
        ("iam_user_success_mfa.json", {}, Severity.INFO, "Console sign-in succeeded"),
        ("identity_center_verification_failure.json", {}, Severity.MEDIUM, "Sign-in failed"),
        ("identity_center_user_authentication.json", {}, Severity.INFO, "AWS access portal sign-in succeeded"),  # noqa: E501
    ],
)  # fmt: skip
def test_default_severities(
    name: str, changes: dict[str, Any], severity: Severity, title: str
) -> None:
    # Every severity posts at INFO; at the default (MEDIUM) the rest are routine.
    verdict = rules.evaluate(signin(name, **changes), Settings(alert_min_severity=Severity.INFO))
    assert (verdict.severity, verdict.title, verdict.alert) == (severity, title, True)
    routine = rules.evaluate(signin(name, **changes), Settings())
    assert routine.alert is (severity >= Severity.MEDIUM)


@pytest.mark.parametrize("name", ["check_mfa.json", "switch_role.json"])
def test_steps_inside_a_signin_are_recorded_not_alerted(name: str) -> None:
    verdict = rules.evaluate(signin(name), Settings())
    assert not verdict.alert
    assert "recorded, not alerted" in verdict.skip_reason


ROOT = {
    "type": "Root",
    "arn": "arn:aws:iam::111122223333:root",
    "accountId": "111122223333",
    "principalId": "111122223333",
}


@pytest.mark.parametrize(
    ("name", "changes", "missing"),
    [
        ("root_failure.json", {"eventName": None}, "event name"),
        ("root_failure.json", {"responseElements": None, "errorMessage": None}, "result"),
        ("check_mfa.json", {"userIdentity": ROOT}, ""),
        ("switch_role.json", {"userIdentity": ROOT}, ""),
    ],
)
def test_root_is_never_quiet(name: str, changes: dict[str, Any], missing: str) -> None:
    settings = Settings(ignore_principals=("*",), alert_min_severity=Severity.HIGH)
    verdict = rules.evaluate(signin(name, **changes), settings)
    assert verdict.alert and verdict.severity >= Severity.HIGH
    assert missing in " ".join(verdict.reasons)


def test_root_password_recovery_is_critical() -> None:
    recovery = signin("root_failure.json", eventName="PasswordRecoveryRequested")
    verdict = rules.evaluate(recovery, Settings())
    assert verdict.severity is Severity.CRITICAL and verdict.alert


def test_watched_principal_is_at_least_high_even_when_ignored() -> None:
    settings = Settings(watch_principals=("arn:aws:iam::*:user/homer*",), ignore_principals=("*",))
    verdict = rules.evaluate(signin("iam_user_success_mfa.json"), settings)
    assert verdict.severity is Severity.HIGH
    assert verdict.alert
    assert "watched principal (arn:aws:iam::*:user/homer*)" in verdict.reasons


def test_a_critical_principal_is_critical_on_every_signin_even_ignored_or_trusted() -> None:
    settings = Settings.from_env(
        {
            "CRITICAL_PRINCIPALS": "arn:aws:iam::*:user/homer*,usernamehere",
            "IGNORE_PRINCIPALS": "*",
            "TRUSTED_CIDRS": "124.169.0.0/16",
            "ALERT_MIN_SEVERITY": "CRITICAL",
        }
    )
    for name in ("iam_user_success_mfa.json", "iam_user_failure.json"):
        verdict = rules.evaluate(signin(name), settings)
        assert (verdict.severity, verdict.alert) == (Severity.CRITICAL, True), name
        assert any(reason.startswith("critical principal (") for reason in verdict.reasons)
    other = rules.evaluate(signin("sso_success.json"), settings)
    assert other.severity is not Severity.CRITICAL and not other.alert


def test_ignored_principal_is_recorded_not_alerted() -> None:
    settings = Settings(ignore_principals=("arn:aws:iam::*:user/homer_simpson",))
    verdict = rules.evaluate(signin("iam_user_success_mfa.json"), settings)
    assert not verdict.alert
    assert verdict.skip_reason == "principal ignored (arn:aws:iam::*:user/homer_simpson)"
    other = rules.evaluate(signin("iam_user_failure.json"), settings)
    assert other.alert


def test_glob_on_assumed_role_arn() -> None:
    settings = Settings(ignore_principals=("arn:aws:sts::*:assumed-role/AWSReservedSSO_*/*",))
    assert not rules.evaluate(signin("sso_success.json"), settings).alert


def test_min_severity_filters_below_and_keeps_at_or_above() -> None:
    settings = Settings(alert_min_severity=Severity.HIGH)
    assert not rules.evaluate(signin("iam_user_failure.json"), settings).alert  # MEDIUM
    assert rules.evaluate(signin("root_failure.json"), settings).alert  # HIGH


def test_failure_from_a_trusted_network_is_low_but_root_stays_high() -> None:
    settings = Settings.from_env({"TRUSTED_CIDRS": "124.169.0.0/16,111.111.111.0/24"})
    office = rules.evaluate(signin("iam_user_failure.json"), settings)
    root = rules.evaluate(signin("root_failure.json"), settings)
    assert (office.severity, office.trusted_network) == (Severity.LOW, True)
    assert root.severity is Severity.HIGH
