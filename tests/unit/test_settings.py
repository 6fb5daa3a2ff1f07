"""GIVEN stage settings WHEN read THEN clear errors for bad values, secrets from SSM."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.settings import ConfigError, SecretResolver, Settings
from chalicelib.severity import Severity


def test_defaults_are_what_the_readme_says() -> None:
    settings = Settings.from_env({})
    assert settings.alert_min_severity is Severity.MEDIUM
    assert settings.routine_summary_minutes == 60
    assert settings.ledger_retention_days == 90
    assert settings.display_timezone == "UTC"
    assert settings.ledger_table == "signin-alerts-ledger"


def test_watchdog_and_guard_defaults_are_what_the_readme_says() -> None:
    settings = Settings.from_env({})
    assert settings.watchdog_enabled is True
    assert settings.watchdog_remind_hours == 24.0
    assert (settings.api_throttle_rate, settings.api_throttle_burst) == (10.0, 20)
    assert settings.alarm_email is None
    assert Settings.from_env({"WATCHDOG_REMIND_HOURS": "0.5"}).watchdog_remind_hours == 0.5


def test_lists_and_maps_parse() -> None:
    settings = Settings.from_env(
        {
            "WATCH_PRINCIPALS": "arn:aws:iam::*:root, arn:aws:sts::*:assumed-role/Admin*/*",
            "ACCOUNT_NAMES": "111122223333=prod,444455556666=staging",
            "SLACK_CHANNEL_BY_SEVERITY": "critical=C1,HIGH=C2",
            "ALERT_MIN_SEVERITY": "medium",
        }
    )
    assert settings.watch_principals == (
        "arn:aws:iam::*:root",
        "arn:aws:sts::*:assumed-role/Admin*/*",
    )
    assert settings.account_label("111122223333") == "prod (111122223333)"
    assert settings.account_label("999999999999") == "999999999999"
    assert settings.slack_channel_by_severity == {Severity.CRITICAL: "C1", Severity.HIGH: "C2"}
    assert settings.alert_min_severity is Severity.MEDIUM


def test_account_routes_keep_their_order_and_names_merge_under_account_names() -> None:
    settings = Settings.from_env(
        {
            "SLACK_CHANNEL_BY_ACCOUNT": "Payments-*=C0PAY, ou:Sandbox/*=C0SBX,1111*=C0ID",
            "ACCOUNT_NAMES": "111122223333=prod",
        }
    )
    assert settings.slack_channel_by_account == (
        ("Payments-*", "C0PAY"),
        ("ou:Sandbox/*", "C0SBX"),
        ("1111*", "C0ID"),
    )
    assert settings.organization_refresh_minutes == 10.0
    named = settings.with_account_names({"111122223333": "Prod-Org", "2" * 12: "Dev"})
    assert named.account_names == {"111122223333": "prod", "2" * 12: "Dev"}
    assert settings.with_account_names({}) is settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALERT_MIN_SEVERITY", "URGENT"),
        ("TRUSTED_CIDRS", "10.0.0.0/33"),
        ("ACCOUNT_NAMES", "111122223333"),
        ("DISPLAY_TIMEZONE", "Mars/Olympus"),
        ("MESSAGE_LANGUAGE", "fr"),
        ("LEDGER_RETENTION_DAYS", "-1"),
        ("SLACK_TIMEOUT_SECONDS", "soon"),
        ("WATCHDOG_REMIND_HOURS", "0"),
        ("WATCHDOG_ENABLED", "perhaps"),
        ("API_THROTTLE_BURST", "1.5"),
        ("ORGANIZATION_REFRESH_MINUTES", "0"),
        ("SLACK_CHANNEL_BY_ACCOUNT", "Payments-*"),
        ("ROUTINE_SUMMARY_MINUTES", "0"),
        ("ROUTINE_SUMMARY_MINUTES", "1441"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_secret_comes_from_ssm_once(aws: None) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    url = "https://hooks.slack.com/services/T0/B0/x"
    ssm.put_parameter(Name="/signin-alerts/test/webhook", Value=url, Type="SecureString")
    built: list[object] = []

    def factory() -> object:
        built.append(ssm)
        return ssm

    resolver = SecretResolver(factory)
    first = resolver.value(None, "/signin-alerts/test/webhook", "SLACK_WEBHOOK_URL")
    ssm.delete_parameter(Name="/signin-alerts/test/webhook")
    second = resolver.value(None, "/signin-alerts/test/webhook", "SLACK_WEBHOOK_URL")
    assert first == second == url
    assert len(built) == 1


def test_plain_value_never_touches_ssm() -> None:
    resolver = SecretResolver(lambda: pytest.fail("SSM was built"))
    assert resolver.value("plain", "/ignored", "SLACK_WEBHOOK_URL") == "plain"


def test_missing_parameter_names_the_setting(aws: None) -> None:
    resolver = SecretResolver(lambda: boto3.client("ssm", region_name="us-east-1"))
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN_PARAM: cannot read SSM parameter"):
        resolver.value(None, "/missing", "SLACK_BOT_TOKEN")
