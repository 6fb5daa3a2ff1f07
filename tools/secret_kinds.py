"""The Slack secrets an env's stages read from SSM, as the operator tools see them.

Each secret's shape is chalicelib.secret_shapes' rule, the one the app applies when it
reads the value; the signing secret is also refused when it is plainly another secret
(a token or a URL pasted in the wrong place), which the app cannot tell.
"""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import urlsplit

from chalicelib.secret_shapes import SECRET_SHAPES, bot_token_problem, webhook_url_problem

_TEAM_ID = re.compile(r"T[A-Z0-9]{2,}", re.ASCII)


class Secret(Enum):
    WEBHOOK_URL = "SLACK_WEBHOOK_URL"
    SIGNING_SECRET = "SLACK_SIGNING_SECRET"
    BOT_TOKEN = "SLACK_BOT_TOKEN"

    @property
    def param_setting(self) -> str:
        """The stage setting that names its SSM parameter."""
        return f"{self.value}_PARAM"

    @property
    def flag(self) -> str:
        return "--" + self.value.removeprefix("SLACK_").lower().replace("_", "-")

    @property
    def label(self) -> str:
        return self.value.removeprefix("SLACK_").lower().replace("_", " ")

    def default_parameter(self, env: str) -> str:
        """The name `manage.py secrets` gives a parameter the stages do not name yet."""
        return f"/signin-alerts/{env}/{self.value.lower().replace('_', '-')}"


def shape_problem(secret: Secret, value: str) -> str | None:
    """What is wrong with `value` as this secret (never the value), or None."""
    problem = SECRET_SHAPES[secret.value](value)
    if problem or secret is not Secret.SIGNING_SECRET:
        return problem
    if bot_token_problem(value) is None:
        return "is a Slack token, not the signing secret (Basic Information -> Signing Secret)"
    if webhook_url_problem(value) is None or "://" in value:
        return "is a URL, not the signing secret (Basic Information -> Signing Secret)"
    return None


def team_id_from_webhook(url: str) -> str | None:
    """`https://hooks.slack.com/services/T0123/B0456/xyz` -> `T0123`."""
    parts = urlsplit(url).path.split("/")
    if len(parts) > 2 and parts[1] == "services" and _TEAM_ID.fullmatch(parts[2]):
        return parts[2]
    return None
