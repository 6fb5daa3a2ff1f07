"""Where alerts go, from the settings: the Web API when there is a bot token (it can
update a message in place and ask questions), else the webhook. A stage with neither is
a configuration error, raised where the first post needs it."""

from __future__ import annotations

from chalicelib.settings import ConfigError, SecretResolver, Settings
from chalicelib.slack.transports import Transport, WebApiTransport, WebhookTransport


def bot_token(settings: Settings, secrets: SecretResolver) -> str:
    """The bot token, from the environment or SSM; "" when Slack is a webhook."""
    token = secrets.value(
        settings.slack_bot_token, settings.slack_bot_token_param, "SLACK_BOT_TOKEN"
    )
    return token or ""


def transport_for(settings: Settings, secrets: SecretResolver) -> Transport:
    token = bot_token(settings, secrets)
    if token:
        if not settings.slack_channel:
            raise ConfigError("SLACK_CHANNEL: required with SLACK_BOT_TOKEN")
        return WebApiTransport(token, settings.slack_channel, base_url=settings.slack_api_url)
    url = secrets.value(
        settings.slack_webhook_url, settings.slack_webhook_url_param, "SLACK_WEBHOOK_URL"
    )
    if url:
        return WebhookTransport(url)
    raise ConfigError(
        "no Slack destination: set SLACK_WEBHOOK_URL(_PARAM) or SLACK_BOT_TOKEN(_PARAM) "
        "with SLACK_CHANNEL"
    )
