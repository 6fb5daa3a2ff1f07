"""The Web API calls a question needs beyond posting and updating messages (which go
through `SlackNotifier`): opening the DM, finding a user by e-mail, and an ephemeral
reply through an interaction's `response_url`."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from chalicelib.slack.transports import RETRYABLE_API_ERRORS

_sdk_log = logging.getLogger("signin_alerts.slack_sdk")
SLACK_RESPONSE_HOST = "hooks.slack.com"


class SlackCallFailed(Exception):
    """A Web API call failed; `error` is Slack's error name or the network failure."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method}: {error}")
        self.error = error
        self.retryable = error in RETRYABLE_API_ERRORS or error.startswith("network")


class SlackApi:
    def __init__(self, token: str, *, base_url: str | None = None, timeout: float = 2.0) -> None:
        from slack_sdk import WebClient

        kwargs: dict[str, Any] = {"token": token, "retry_handlers": [], "logger": _sdk_log}
        if base_url:
            kwargs["base_url"] = base_url
        self._client = WebClient(timeout=max(1, round(timeout)), **kwargs)
        self._base_url = base_url

    def _call(self, method: str, **params: Any) -> Any:
        from slack_sdk.errors import SlackApiError

        call = getattr(self._client, method.replace(".", "_"))
        try:
            return call(**params)
        except SlackApiError as error:
            raise SlackCallFailed(method, str(error.response.get("error", "") or "error")) from None
        except Exception as error:  # urllib: timeouts, resets, refused connections
            raise SlackCallFailed(method, f"network: {type(error).__name__}") from None

    def open_dm(self, user_id: str) -> str:
        """The DM channel between the app and this user (conversations.open, im:write)."""
        response = self._call("conversations.open", users=user_id)
        channel = response.get("channel") or {}
        channel_id = str(channel.get("id", "")) if isinstance(channel, dict) else ""
        if not channel_id:
            raise SlackCallFailed("conversations.open", "no channel in the answer")
        return channel_id

    def user_by_email(self, email: str) -> str | None:
        """The Slack user with this e-mail (users:read.email), or None when none has it."""
        try:
            response = self._call("users.lookupByEmail", email=email)
        except SlackCallFailed as failed:
            if failed.error == "users_not_found":
                return None
            raise
        user = response.get("user") or {}
        if not isinstance(user, dict) or user.get("deleted") or user.get("is_bot"):
            return None
        return str(user.get("id", "")) or None

    def respond(self, response_url: str, text: str, *, timeout: float = 1.5) -> bool:
        """An ephemeral reply to the person who clicked. Only to Slack's own response
        host (or the local Slack the stage points at), never to any URL a payload names."""
        if not self.may_respond_to(response_url):
            return False
        from slack_sdk.webhook import WebhookClient

        client = WebhookClient(response_url, timeout=max(1, round(timeout)), logger=_sdk_log)
        try:
            response = client.send_dict(
                {"response_type": "ephemeral", "replace_original": False, "text": text}
            )
        except Exception:  # the click is handled; a lost reply is only logged
            return False
        return 200 <= response.status_code < 300

    def may_respond_to(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname == SLACK_RESPONSE_HOST:
            return True
        if self._base_url:
            local = urlsplit(self._base_url)
            return (parts.scheme, parts.netloc) == (local.scheme, local.netloc)
        return False
