"""GIVEN a webhook URL, a bot token and a signing secret WHEN anything fails (each Slack
behaviour over each transport, secrets read from SSM, malformed secrets) THEN no output
at all (stdout, stderr, every log record at DEBUG, the exception Lambda would log)
contains a secret, and a malformed secret's error names its setting.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest

from chalicelib import logs
from chalicelib.container import Container
from localdev.slack_sink import Reply, SlackSink
from tests.conftest import load_event
from tests.functional.conftest import SIGNING_SECRET, TEAM_ID, Invoker, Slash

WEBHOOK_SECRET = "WebhookPathS3cretZq81"
TOKEN_SECRET = "BotT0kenS3cretZq82"
BOT_TOKEN = f"xoxb-1111-2222-{TOKEN_SECRET}"
SECRETS = (WEBHOOK_SECRET, TOKEN_SECRET, BOT_TOKEN, SIGNING_SECRET)
WEBHOOK_PARAM = "/signin-alerts/test/slack-webhook-url"
TOKEN_PARAM = "/signin-alerts/test/slack-bot-token"
SIGNING_PARAM = "/signin-alerts/test/slack-signing-secret"

# Socket timeouts are real time: long enough that a busy machine's answer is never taken
# for a hang, and a hang well past it.
TIMEOUT = 1.0
HANG = 2.5
# Every behaviour the local sink can play, as a webhook answers it and as the Web API does.
WEBHOOK_BEHAVIOURS = {
    "429": Reply(429, "rate_limited", retry_after=0.05),
    "500": Reply(500, "internal_error"),
    "hang": Reply(hang_seconds=HANG),
    "invalid_payload": Reply(400, "invalid_payload"),
    "channel_not_found": Reply(404, "channel_not_found"),
    "invalid_auth": Reply(403, "invalid_token"),
}
API_BEHAVIOURS = {
    "429": Reply(429, api_error="ratelimited", retry_after=0.05),
    "500": Reply(500, api_error="internal_error"),
    "hang": Reply(hang_seconds=HANG),
    "invalid_payload": Reply(200, api_error="invalid_blocks"),
    "channel_not_found": Reply(200, api_error="channel_not_found"),
    "invalid_auth": Reply(200, api_error="invalid_auth"),
}
FAST = {"SLACK_MAX_ATTEMPTS": "2", "SLACK_TIMEOUT_SECONDS": str(TIMEOUT)}


def webhook_url(sink: SlackSink) -> str:
    return f"{sink.base_url}/services/T0SEC/B0SEC/{WEBHOOK_SECRET}"


@dataclass
class Case:
    settings: Callable[[SlackSink], dict[str, str]]
    ssm: Callable[[SlackSink], dict[str, str]] = lambda sink: {}  # parameter -> value
    config_error: str = ""  # the setting a malformed value's error must name


def _webhook(sink: SlackSink) -> dict[str, str]:
    return {**FAST, "SLACK_WEBHOOK_URL": webhook_url(sink)}


def _web_api(sink: SlackSink) -> dict[str, str]:
    return {
        **FAST,
        "SLACK_WEBHOOK_URL": "",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_CHANNEL": "C0SEC",
        "SLACK_API_URL": sink.api_url,
    }


def _webhook_from_ssm(sink: SlackSink) -> dict[str, str]:
    return {**FAST, "SLACK_WEBHOOK_URL": "", "SLACK_WEBHOOK_URL_PARAM": WEBHOOK_PARAM}


def _token_from_ssm(sink: SlackSink) -> dict[str, str]:
    return {**_web_api(sink), "SLACK_BOT_TOKEN": "", "SLACK_BOT_TOKEN_PARAM": TOKEN_PARAM}


# Each transport, with every Slack behaviour its endpoint can answer.
TRANSPORTS = {
    "webhook": (Case(_webhook), WEBHOOK_BEHAVIOURS),
    "webhook from SSM": (
        Case(_webhook_from_ssm, ssm=lambda sink: {WEBHOOK_PARAM: webhook_url(sink)}),
        WEBHOOK_BEHAVIOURS,
    ),
    "web api": (Case(_web_api), API_BEHAVIOURS),
    "web api token from SSM": (
        Case(_token_from_ssm, ssm=lambda sink: {TOKEN_PARAM: BOT_TOKEN}),
        API_BEHAVIOURS,
    ),
}
MALFORMED = {
    "webhook scheme typo": Case(
        lambda sink: {
            "SLACK_WEBHOOK_URL": f"htps://hooks.slack.com/services/T0SEC/B0SEC/{WEBHOOK_SECRET}"
        },
        config_error="SLACK_WEBHOOK_URL",
    ),
    "webhook with a space": Case(
        lambda sink: {
            "SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/T0SEC/B0SEC/ {WEBHOOK_SECRET}"
        },
        config_error="SLACK_WEBHOOK_URL",
    ),
    "webhook without a host": Case(
        lambda sink: {"SLACK_WEBHOOK_URL": f"https:///services/T0SEC/B0SEC/{WEBHOOK_SECRET}"},
        config_error="SLACK_WEBHOOK_URL",
    ),
    "token with a line break": Case(
        lambda sink: {**_web_api(sink), "SLACK_BOT_TOKEN": f"xoxb-1111-2222-\n{TOKEN_SECRET}"},
        config_error="SLACK_BOT_TOKEN",
    ),
    "token with a line break, from SSM": Case(
        _token_from_ssm,
        ssm=lambda sink: {TOKEN_PARAM: f"xoxb-1111-2222-\n{TOKEN_SECRET}"},
        config_error="SLACK_BOT_TOKEN_PARAM",
    ),
    "webhook scheme typo, from SSM": Case(
        _webhook_from_ssm,
        ssm=lambda sink: {
            WEBHOOK_PARAM: f"htps://hooks.slack.com/services/T0SEC/B0SEC/{WEBHOOK_SECRET}"
        },
        config_error="SLACK_WEBHOOK_URL_PARAM",
    ),
    "webhook with a space, from SSM": Case(
        _webhook_from_ssm,
        ssm=lambda sink: {
            WEBHOOK_PARAM: f"https://hooks.slack.com/services/T0SEC/ B0SEC/{WEBHOOK_SECRET}"
        },
        config_error="SLACK_WEBHOOK_URL_PARAM",
    ),
}


def _put_parameters(values: dict[str, str]) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    for name, value in values.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def _everything(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, error: BaseException | None
) -> str:
    out, err = capfd.readouterr()
    parts = [out, err, caplog.text, *(record.getMessage() for record in caplog.records)]
    caplog.clear()
    if error is not None:
        parts.extend(traceback.format_exception(error))
    return "\n".join(parts)


def _invoke(invoke: Invoker, event_id: str) -> BaseException | None:
    event = load_event("root_success_no_mfa.json")
    event["detail"]["eventID"] = event_id
    try:
        invoke(event)
    except Exception as raised:  # what Lambda logs: the message and the traceback
        return raised
    return None


def _assert_no_secret(everything: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in everything, f"{where}: a secret in the output"


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_no_slack_failure_prints_a_secret(
    transport: str,
    configure: Callable[..., Container],
    invoke: Invoker,
    slack_sink: SlackSink,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    case, behaviours = TRANSPORTS[transport]
    caplog.set_level(logging.DEBUG)  # the root logger at its chattiest
    _put_parameters(case.ssm(slack_sink))
    configure(**case.settings(slack_sink))

    for behaviour, reply in behaviours.items():
        slack_sink.script.clear()
        slack_sink.then(reply, reply, reply)
        before = len(slack_sink.requests)

        error = _invoke(invoke, f"log-test-{behaviour}")

        everything = _everything(capfd, caplog, error)
        _assert_no_secret(everything, behaviour)
        assert len(slack_sink.requests) > before, f"{behaviour}: Slack was never asked ({error!r})"
        assert '"sign-in handled"' in everything


def test_no_malformed_secret_is_printed(
    configure: Callable[..., Container],
    invoke: Invoker,
    slack_sink: SlackSink,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, case in MALFORMED.items():
        _put_parameters(case.ssm(slack_sink))
        configure(**case.settings(slack_sink))

        error = _invoke(invoke, f"log-test-{len(name)}-{name.split()[0]}")

        _assert_no_secret(_everything(capfd, caplog, error), name)
        assert error is not None and case.config_error in str(error), name
    assert slack_sink.requests == []


def test_a_signing_secret_from_ssm_is_never_printed(
    configure: Callable[..., Container],
    slack_sink: SlackSink,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalice.test import Client

    import app as app_module

    caplog.set_level(logging.DEBUG)
    _put_parameters({SIGNING_PARAM: SIGNING_SECRET})
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        slash = Slash(client, configure)
        slash.configure(SLACK_SIGNING_SECRET="", SLACK_SIGNING_SECRET_PARAM=SIGNING_PARAM)
        answered = slash("failed")
        forged = slash.post_body(slash.form("root"), secret="not-the-secret")

    assert (answered.status, forged.status) == (200, 401)
    everything = _everything(capfd, caplog, None)
    assert SIGNING_SECRET not in everything
    assert TEAM_ID in everything  # the log lines were there to search


def test_library_records_are_redacted_at_any_level() -> None:
    """A record a library makes (botocore's response body, slack_sdk's URL) is redacted
    when it is made, so no handler anywhere sees the secret."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    logs.hide(BOT_TOKEN)
    collect = Collect(level=logging.DEBUG)
    library = logging.getLogger("botocore.parsers")
    root = logging.getLogger()
    root.addHandler(collect)
    try:
        library.error("Response body: %s", {"Value": BOT_TOKEN})
        try:
            raise ValueError(f"Invalid header value b'Bearer {BOT_TOKEN}'")
        except ValueError:
            library.exception("failed")
        logging.getLogger("slack_sdk.webhook").error(
            "Failed to send a request to Slack API server: %s",
            f"https://hooks.slack.com/services/T0SEC/B0SEC/{WEBHOOK_SECRET}",
        )
    finally:
        root.removeHandler(collect)
    assert len(seen) == 3
    assert all(TOKEN_SECRET not in line and WEBHOOK_SECRET not in line for line in seen)
    assert any("[redacted]" in line for line in seen)
    assert logging.getLogger("botocore").getEffectiveLevel() >= logging.WARNING
