"""Block Kit's limits and the helpers every message uses to stay inside them.

Everything that comes from an event is hostile text chosen by whoever signs in: it is
escaped for mrkdwn (so `<!channel>` pings nobody and `<https://evil|AWS>` links nowhere)
and clipped to Slack's limits after escaping, never inside an entity.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.severity import Severity

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
# What a phone notification shows well; Slack itself allows 40,000.
MAX_NOTIFICATION_TEXT = 500

SEVERITY_COLOURS = {
    Severity.CRITICAL: "#B0001E",
    Severity.HIGH: "#E8590C",
    Severity.MEDIUM: "#F2C744",
    Severity.LOW: "#439FE0",
    Severity.INFO: "#9E9E9E",
}
SEVERITY_EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":warning:",
    Severity.MEDIUM: ":large_orange_diamond:",
    Severity.LOW: ":small_blue_diamond:",
    Severity.INFO: ":white_circle:",
}
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
# A URL scheme or a `www.` host: what Slack turns into a link even in plain words.
_LINK_START = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(/+)|\b(www)\.")


def escape(value: str) -> str:
    """Slack's three control characters, as its docs require for mrkdwn text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when cut, never mid-entity."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut + "…"


def safe(value: str, limit: int = MAX_FIELD_TEXT) -> str:
    return clip(escape(value), limit)


def defang(value: str) -> str:
    """Break every URL so no client can make it a link, the way threat reports
    write indicators: `https://evil.example` -> `https[:]//evil.example`."""
    return _LINK_START.sub(
        lambda m: f"{m.group(1)}[:]{m.group(2)}" if m.group(1) else f"{m.group(3)}[.]", value
    )


def code(value: str, limit: int = MAX_FIELD_TEXT) -> str:
    """Text chosen by whoever signs in (a user name, a user agent) as an inline code
    span: Slack links nothing inside one, and its URLs are broken as well, in case a
    client does. A backtick would end the span, so it becomes a similar-looking mark."""
    if not value:
        return ""
    inner = escape(defang(value.replace("`", "ˋ").replace("\n", " ")))
    return f"`{clip(inner, max(1, limit - 2))}`"


def inert(value: str, limit: int = MAX_FIELD_TEXT) -> str:
    """Event text outside a code span (notification text, titles): escaped, URLs broken.
    Send it in a text object with `verbatim: true` so Slack does not pre-process it."""
    return safe(defang(value), limit)


def local_time(moment: datetime, timezone_name: str) -> datetime:
    """`moment` (naive means UTC) in the display time zone; in UTC when the zone cannot
    hold it (year 1 seen from Los Angeles). Never raises."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(ZoneInfo(timezone_name))
    except (OverflowError, ValueError, KeyError):  # KeyError: ZoneInfoNotFoundError
        return moment.astimezone(UTC)


def slack_date(moment: datetime, timezone_name: str) -> str:
    """A date token each reader sees in their own time zone, with a fallback for
    clients that cannot render it (notifications, email). Never raises: a moment the
    display zone cannot hold (year 1 seen from Los Angeles) falls back to UTC."""
    local = local_time(moment, timezone_name)
    fallback = f"{local.year:04d}-{local:%m-%d %H:%M:%S} {local.tzname() or 'UTC'}"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time_secs}}|{fallback}>"


def header_block(text: str) -> dict[str, Any]:
    """A header: plain text, which Slack does not parse, so only the length matters."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True},
    }
