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

# Where Slack's incoming webhooks live, and the shape of their path.
SLACK_WEBHOOK_HOST = "hooks.slack.com"
_WEBHOOK_PATH = re.compile(r"/services/[^/]+/[^/]+/[^/]+")
# Another host (and plain http) only on this machine: the local Slack sink in tests,
# bench and demo.
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
    """None for an incoming webhook's URL, else what is wrong with it (never the value).

    Slack issues webhooks only as `https://hooks.slack.com/services/T.../B.../<token>`:
    anything else, however well formed, would take alerts somewhere that is not Slack, so
    the settings and SSM refuse it when read, and the watchdog reports it, by this one
    rule. The same path on this machine (http or https) is the local Slack sink of the
    tests, the bench and `make demo`.
    """
    problem = _unprintable(value)
    if problem:
        return problem
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "is not a URL"
    local = host in LOOPBACK_HOSTS and parts.scheme in ("http", "https")
    if parts.scheme != "https" and not local:
        return "is not an https URL"
    if not host:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if host != SLACK_WEBHOOK_HOST and not local:
        return f"is not on {SLACK_WEBHOOK_HOST}"
    if not _WEBHOOK_PATH.fullmatch(parts.path) or parts.query or parts.fragment:
        return f"is not a webhook URL (https://{SLACK_WEBHOOK_HOST}/services/T.../B.../...)"
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
