"""GIVEN a malformed Slack secret (a typo in the scheme, a space, a line break, a wrong
shape) WHEN the settings load THEN a ConfigError names the setting and never the value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.secret_shapes import webhook_url_problem
from chalicelib.settings import ConfigError, SecretResolver, Settings
from chalicelib.watchdog.credentials import slack_finding
from chalicelib.watchdog.findings import Finding, Status

SECRET_PART = "Zq8SecretPart"
GOOD = {
    "SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/T0/B0/{SECRET_PART}",
    "SLACK_BOT_TOKEN": f"xoxb-1-2-{SECRET_PART}",
    "SLACK_SIGNING_SECRET": f"8f742231b10e{SECRET_PART}",
}
MALFORMED = {
    "SLACK_WEBHOOK_URL": [
        f"htps://hooks.slack.com/services/T0/B0/{SECRET_PART}",
        f"http://hooks.slack.com/services/T0/B0/{SECRET_PART}",
        f"https://hooks.slack.com/services/T0/B0/ {SECRET_PART}",
        f"https://hooks.slack.com/services/T0/B0/\n{SECRET_PART}",
        f"https:///services/T0/B0/{SECRET_PART}",
        f"https://user:{SECRET_PART}@hooks.slack.com/services/T0/B0/x",
        f"https://hooks.slack.com:port/services/T0/B0/{SECRET_PART}",
        f"hooks.slack.com/services/T0/B0/{SECRET_PART}",
    ],
    "SLACK_BOT_TOKEN": [
        f"xoxb-1-2-\n{SECRET_PART}",
        f"xoxb-1-2- {SECRET_PART}",
        f"Bearer xoxb-1-2-{SECRET_PART}",
        f"xoxb-1-2-{SECRET_PART}\x00",
        SECRET_PART,
    ],
    "SLACK_SIGNING_SECRET": [f"8f74 {SECRET_PART}", f"8f74\t{SECRET_PART}\x07"],
}


def test_well_formed_secrets_load_and_loopback_http_is_allowed_for_local_sinks() -> None:
    loaded = Settings.from_env(GOOD)
    assert loaded.slack_webhook_url == GOOD["SLACK_WEBHOOK_URL"]
    assert loaded.slack_bot_token == GOOD["SLACK_BOT_TOKEN"]
    local = Settings.from_env({"SLACK_WEBHOOK_URL": "http://127.0.0.1:8080/services/T/B/X"})
    assert local.slack_webhook_url is not None


@pytest.mark.parametrize(
    ("setting", "value"),
    [(setting, value) for setting, values in MALFORMED.items() for value in values],
)
def test_a_malformed_secret_is_named_never_shown(setting: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**GOOD, setting: value})
    message = str(raised.value)
    assert message.startswith(f"{setting}:")
    assert SECRET_PART not in message and value.strip() not in message


@given(
    st.sampled_from(sorted(MALFORMED)),
    st.text(min_size=1, max_size=30),
    st.sampled_from([" ", "\n", "\r", "\t", "\x00", "\x1b", "\u2028"]),
)
@settings(max_examples=200, deadline=None)
def test_any_secret_with_whitespace_or_control_characters_is_refused(
    setting: str, tail: str, bad: str
) -> None:
    value = GOOD[setting] + bad + tail + SECRET_PART
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**GOOD, setting: value})
    assert SECRET_PART not in str(raised.value)


# --- what a webhook URL is: one rule, for the settings, SSM and the watchdog -------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://hooks.slack.com/services/T0/B0/xyz", id="Slack's"),
        pytest.param("https://hooks.slack.com:443/services/T0/B0/xyz", id="Slack's, port"),
        pytest.param("https://HOOKS.slack.com/services/T0/B0/xyz", id="host in capitals"),
        pytest.param("http://127.0.0.1:8080/services/T000/B000/XXXX", id="local sink"),
        pytest.param("http://localhost:8080/services/T/B/X", id="localhost"),
        pytest.param("https://[::1]:8443/services/T/B/X", id="ipv6 loopback, https"),
    ],
)
def test_slacks_webhooks_and_the_local_sink_are_webhook_urls(url: str) -> None:
    assert webhook_url_problem(url) is None
    assert Settings.from_env({"SLACK_WEBHOOK_URL": url}).slack_webhook_url == url
    assert _watchdog_finding(url).status is Status.OK


@pytest.mark.parametrize(
    ("url", "wrong"),
    [
        ("http://hooks.slack.com/services/T0/B0/xyz", "is not an https URL"),
        ("xoxb-a-token-pasted-by-mistake", "is not an https URL"),
        ("hooks.slack.com/services/T0/B0/xyz", "is not an https URL"),
        ("ftp://127.0.0.1/services/T/B/X", "is not an https URL"),
        ("https:///services/T0/B0/xyz", "has no host"),
        ("https://evil.example/services/T0/B0/xyz", "is not on hooks.slack.com"),
        ("https://hooks.slack.com.evil.example/services/T0/B0/x", "is not on hooks.slack.com"),
        ("http://192.0.2.1/services/T/B/X", "is not an https URL"),
        ("https://u:p@hooks.slack.com/services/T0/B0/x", "must not carry a user name"),
        ("https://hooks.slack.com/services/T0/B0", "is not a webhook URL"),
        ("https://hooks.slack.com/services/T0/B0/x/y", "is not a webhook URL"),
        ("https://hooks.slack.com/commands/T0/B0/x", "is not a webhook URL"),
        ("https://hooks.slack.com/services/T0//x", "is not a webhook URL"),
        ("https://hooks.slack.com/services/T0/B0/x?channel=C1", "is not a webhook URL"),
        ("http://127.0.0.1:8080/", "is not a webhook URL"),
        ("https://hooks.slack.com:port/services/T0/B0/x", "is not a URL"),
    ],
)
def test_anything_else_is_not_a_webhook_url_for_the_settings_or_the_watchdog(
    url: str, wrong: str
) -> None:
    problem = webhook_url_problem(url)

    assert problem is not None and problem.startswith(wrong)
    with pytest.raises(ConfigError, match=f"^SLACK_WEBHOOK_URL: {wrong}"):
        Settings.from_env({"SLACK_WEBHOOK_URL": url})
    finding = _watchdog_finding(url)
    assert finding.status is Status.PROBLEM
    assert wrong in finding.what and "put-parameter" in finding.fix


class _OneParameter:
    """SSM holding one SecureString, as the watchdog reads it."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_parameter(self, *, Name: str, WithDecryption: bool) -> dict[str, Any]:
        return {"Parameter": {"Name": Name, "Value": self._value}}


def _watchdog_finding(url: str) -> Finding:
    settings = Settings.from_env({"SLACK_WEBHOOK_URL_PARAM": "/signin-alerts/prod/webhook"})
    return slack_finding(settings, SecretResolver(lambda: _OneParameter(url)), "us-east-1")
