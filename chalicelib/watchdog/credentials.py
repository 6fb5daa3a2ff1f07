"""Do the Slack credentials still work? Bot token: `auth.test`. Webhook: its SSM
parameter reads and holds a webhook URL. Signing secret: its parameter reads.

Secrets are read afresh on every run (not from the container's cache), so a
parameter deleted or a token revoked after the cold start is noticed within the hour.
"""

from __future__ import annotations

from typing import Any

from chalicelib.secret_shapes import webhook_url_problem
from chalicelib.settings import ConfigError, SecretResolver, Settings
from chalicelib.watchdog.findings import Check, Finding, Status

# Slack's answers to auth.test that mean the token itself is no good.
TOKEN_REJECTED = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)
SLACK_APPS = "https://api.slack.com/apps"


def _put_parameter(region: str, name: str) -> str:
    return (
        f"aws ssm put-parameter --region {region} --type SecureString --overwrite "
        f"--name {name} --value '...'"
    )


def auth_test_error(token: str, api_url: str | None, timeout: float) -> str:
    """Slack's error for `auth.test` with this token; empty when Slack accepts it."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    kwargs: dict[str, Any] = {"token": token, "timeout": timeout, "retry_handlers": []}
    if api_url:
        kwargs["base_url"] = api_url
    try:
        WebClient(**kwargs).auth_test()
    except SlackApiError as error:
        return str(error.response.get("error", "")) or f"HTTP {error.response.status_code}"
    return ""


def slack_finding(settings: Settings, secrets: SecretResolver, region: str) -> Finding:
    def problem(what: str, fix: str) -> Finding:
        return Finding(Check.SLACK, region, Status.PROBLEM, what, fix)

    try:
        token = secrets.value(
            settings.slack_bot_token, settings.slack_bot_token_param, "SLACK_BOT_TOKEN"
        )
    except ConfigError as error:
        return problem(str(error), _put_parameter(region, str(settings.slack_bot_token_param)))
    if token:
        try:
            rejected = auth_test_error(
                token, settings.slack_api_url, settings.slack_timeout_seconds
            )
        except Exception as error:  # network: Slack unreachable from the Lambda
            return problem(f"Slack auth.test failed: {type(error).__name__}", SLACK_APPS)
        if rejected:
            fix = f"reinstall the Slack app ({SLACK_APPS}) and store its new bot token"
            if settings.slack_bot_token_param:
                fix += f": {_put_parameter(region, settings.slack_bot_token_param)}"
            return problem(f"Slack rejects the bot token: {rejected}", fix)
        return Finding.ok(Check.SLACK, region)
    try:
        url = secrets.value(
            settings.slack_webhook_url, settings.slack_webhook_url_param, "SLACK_WEBHOOK_URL"
        )
    except ConfigError as error:
        return problem(str(error), _put_parameter(region, str(settings.slack_webhook_url_param)))
    if not url:
        return problem(
            "no Slack destination is configured",
            "set SLACK_WEBHOOK_URL_PARAM or SLACK_BOT_TOKEN_PARAM in .chalice/config.json",
        )
    # The settings' own rule (SSM values are checked by it when read): a value that
    # passed it in an older version is reported here, with the fix.
    wrong = webhook_url_problem(url)
    if wrong:
        where = settings.slack_webhook_url_param or "SLACK_WEBHOOK_URL"
        fix = (
            _put_parameter(region, settings.slack_webhook_url_param)
            if settings.slack_webhook_url_param
            else "set SLACK_WEBHOOK_URL to the webhook URL Slack shows"
        )
        return problem(f"the Slack webhook URL in {where} {wrong}", fix)
    return Finding.ok(Check.SLACK, region)


def signing_secret_finding(settings: Settings, secrets: SecretResolver, region: str) -> Finding:
    """Without the signing secret every `/recent-logins` request gets 401."""
    if settings.slack_signing_secret or not settings.slack_signing_secret_param:
        return Finding.ok(Check.SIGNING_SECRET, region)
    try:
        value = secrets.value(None, settings.slack_signing_secret_param, "SLACK_SIGNING_SECRET")
    except ConfigError as error:
        what = f"{error}: every /recent-logins request is refused"
    else:
        if value and value.strip():
            return Finding.ok(Check.SIGNING_SECRET, region)
        what = f"SSM parameter {settings.slack_signing_secret_param} is empty"
    fix = _put_parameter(region, settings.slack_signing_secret_param)
    return Finding(Check.SIGNING_SECRET, region, Status.PROBLEM, what, fix)
