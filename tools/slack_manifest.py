"""The Slack app manifest with the deployed request URLs filled in, ready to paste.

`slack/manifest.yml` stays the template: its slash command, interactivity and events URLs are
placeholders ending in the app's paths. After a deploy, each is replaced by the real
URL of the same path on one stage's API (us-east-1's: both regions' APIs read the same
ledger).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tools.stages import PROJECT_DIR

SLASH_COMMAND_PATH = "slack/recent-logins"
INTERACTIONS_PATH = "slack/interactions"
EVENTS_PATH = "slack/events"


HEADER = (
    "# Slack app manifest, filled in by `python manage.py deploy` with this deploy's URLs.\n"
    "# api.slack.com/apps -> Create New App -> From a manifest (or your app -> App Manifest).\n"
)


class ManifestError(RuntimeError):
    """The template lacks a placeholder this module fills."""


@dataclass(frozen=True)
class RequestUrls:
    api_url: str  # https://<id>.execute-api.<region>.amazonaws.com/api/

    @property
    def slash_command(self) -> str:
        return f"{self.api_url.rstrip('/')}/{SLASH_COMMAND_PATH}"

    @property
    def interactions(self) -> str:
        return f"{self.api_url.rstrip('/')}/{INTERACTIONS_PATH}"

    @property
    def events(self) -> str:
        return f"{self.api_url.rstrip('/')}/{EVENTS_PATH}"


def template_path(project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / "slack" / "manifest.yml"


def filled(template: str, urls: RequestUrls) -> str:
    """The template with every `https://...` URL ending in one of the app's paths
    replaced by the deployed one; everything else (scopes, comments) as it is."""
    body = template.splitlines(keepends=True)
    while body and body[0].startswith("#"):  # the template's "replace these" header
        body.pop(0)
    text = HEADER + "".join(body)
    for path, url in (
        (SLASH_COMMAND_PATH, urls.slash_command),
        (INTERACTIONS_PATH, urls.interactions),
        (EVENTS_PATH, urls.events),
    ):
        text, count = re.subn(rf"https://\S+/{re.escape(path)}(?=\s|$)", url, text)
        if count == 0:
            raise ManifestError(f"slack/manifest.yml has no URL ending in /{path}")
    return text
