"""One POST to an incoming webhook, made as slack_sdk's `WebhookClient` (3.47) makes it:
the message as JSON without its unset (None) fields, `application/json;charset=utf-8`,
the first of HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy as the proxy for both
schemes, and an error status read as an answer (its status, body and headers), not
raised. Only an http(s) URL is posted to.

Written out here, not imported: `import slack_sdk.webhook` runs `slack_sdk/__init__`,
which imports the whole Web API client, for a handler that only posts to a webhook
(docs/figures.md, "Cold start"). The Web API transport still uses slack_sdk.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
USER_AGENT = "signin-alerts Python/" + ".".join(map(str, sys.version_info[:3]))


class WebhookUrlRefused(ValueError):
    """The webhook URL is not http(s): nothing is sent (urllib would open file: URLs)."""


@dataclass(frozen=True)
class WebhookAnswer:
    status_code: int
    body: str
    headers: dict[str, str]


def proxy_from_env(env: Mapping[str, str]) -> str | None:
    """The proxy slack_sdk would use: the first of the four variables set; an empty
    value means none."""
    url = next((env[name] for name in PROXY_VARIABLES if env.get(name)), None)
    return url if url and url.strip() else None


class WebhookPoster:
    def __init__(
        self, url: str, *, log: logging.Logger, env: Mapping[str, str] | None = None
    ) -> None:
        self._url = url
        self._log = log
        self._proxy = proxy_from_env(os.environ if env is None else env)

    def post(self, message: Mapping[str, Any], timeout: float) -> WebhookAnswer:
        """Slack's answer; raises what urllib raises when there is none (no connection,
        a timeout, a dropped connection), as slack_sdk did, after logging it."""
        # urllib.request (http.client, email, ssl) loads with the first post, not with
        # `import app`: the slash command and the buttons never post to a webhook.
        from urllib.error import HTTPError
        from urllib.request import HTTPSHandler, ProxyHandler, Request, build_opener, urlopen

        if not self._url.lower().startswith("http"):
            raise WebhookUrlRefused("the webhook URL is not an http(s) URL")
        body = json.dumps({key: value for key, value in message.items() if value is not None})
        request = Request(
            self._url,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json;charset=utf-8", "User-Agent": USER_AGENT},
            method="POST",
        )
        try:
            if self._proxy is None:
                response = urlopen(request, timeout=timeout)
            else:
                proxies = ProxyHandler({"http": self._proxy, "https": self._proxy})
                response = build_opener(proxies, HTTPSHandler()).open(request, timeout=timeout)
            with response:
                charset = response.headers.get_content_charset() or "utf-8"
                text = response.read().decode(charset)
                return WebhookAnswer(response.status, text, dict(response.headers.items()))
        except HTTPError as error:
            charset = error.headers.get_content_charset() or "utf-8"
            return WebhookAnswer(
                error.code, error.read().decode(charset), dict(error.headers.items())
            )
        except Exception as error:
            self._log.error(f"Failed to send a request to Slack API server: {error}")
            raise
