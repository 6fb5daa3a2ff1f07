"""What a usable Slack secret looks like, checked when it is read, never echoed.

A malformed secret fails later in a library that puts it in its error: slack_sdk logs a
webhook URL with a typo in its scheme whole, and http.client quotes a bot token with a
line break in `Invalid header value b'Bearer xoxb-...'`. So each secret is checked when
the settings (or SSM) hand it over, and a problem is described without the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

# Plain http only to this machine: the local Slack sink in tests, bench and demo.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_BOT_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+", re.ASCII)
MAX_SECRET_LENGTH = 2048


def _unprintable(value: str) -> str | None:
    if len(value) > MAX_SECRET_LENGTH:
        return f"is longer than {MAX_SECRET_LENGTH} characters"
    for char in value:
        if char.isspace():
            return "contains whitespace (a space or a line break)"
        if not char.isprintable():
            return "contains a control character"
    return None


def webhook_url_problem(value: str) -> str | None:
    """None for an https URL with a host (or http to a loopback host), else what is wrong."""
    problem = _unprintable(value)
    if problem:
        return problem
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "is not a URL"
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    if parts.scheme != "https":
        return "must start with https://"
    if not host:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    return None


def bot_token_problem(value: str) -> str | None:
    problem = _unprintable(value)
    if problem:
        return problem
    if not _BOT_TOKEN.fullmatch(value):
        return "is not a Slack token (xoxb-..., letters, digits and dashes)"
    return None


def signing_secret_problem(value: str) -> str | None:
    return _unprintable(value)


# Keyed by the setting's name; the `_PARAM` form is checked by the same rule.
SECRET_SHAPES: dict[str, Callable[[str], str | None]] = {
    "SLACK_WEBHOOK_URL": webhook_url_problem,
    "SLACK_BOT_TOKEN": bot_token_problem,
    "SLACK_SIGNING_SECRET": signing_secret_problem,
}
