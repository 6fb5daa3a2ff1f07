"""GIVEN a malformed Slack secret (a typo in the scheme, a space, a line break, a wrong
shape) WHEN the settings load THEN a ConfigError names the setting and never the value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.settings import ConfigError, Settings

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
