"""What a roll-up of routine sign-ins reads like: a line per sign-in (who, when in
DISPLAY_TIMEZONE, from where, how it went), in event-time order, inside Slack's limits
however long the day: lines fill sections of at most 3,000 characters, at most 50
blocks and 40,000 characters in all, and what does not fit is counted ("and N more"),
never dropped from the totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.routine.entries import RoutineEntry
from chalicelib.routine.periods import Period, PeriodKind
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result
from chalicelib.slack.blocks import (
    MAX_BLOCKS,
    MAX_NOTIFICATION_TEXT,
    MAX_SECTION_TEXT,
    SEVERITY_EMOJI,
    header_block,
    inert,
    safe,
)

# Slack's limit on a message's text; the sections' text is kept under it too.
MAX_MESSAGE_TEXT = 40_000
MAX_LINE_TEXT = 400
# The header, the totals line and the "and N more" line around the sections.
FRAME_BLOCKS = 3
MAX_LISTED_TEXT = MAX_MESSAGE_TEXT - 2_000


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _local(epoch: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(epoch, zone)


def period_words(period: Period, settings: Settings) -> str:
    """`14:00–15:00 UTC` for a window, `today (2026-11-25, UTC)` for a day."""
    zone = ZoneInfo(settings.display_timezone)
    start, end = _local(period.start, zone), _local(period.end, zone)
    name = start.tzname() or settings.display_timezone
    if period.kind is PeriodKind.DAY:
        return f"today ({start.date().isoformat()}, {settings.display_timezone})"
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {name}"


def entry_line(entry: RoutineEntry, period: Period, settings: Settings) -> str:
    """`• 09:14 IAM user alice · 1234… · 203.0.113.5 (KR) · success, MFA yes`. The
    date shows when the sign-in happened on another day than the period began."""
    zone = ZoneInfo(settings.display_timezone)
    when = _local(entry.at, zone)
    stamp = f"{when:%H:%M}"
    if when.date() != _local(period.start, zone).date():
        stamp = f"{when:%m-%d %H:%M}"
    place = entry.source_ip + (f" ({entry.country})" if entry.country else "")
    text = (
        f"{entry.who} · {settings.account_label(entry.account_id)} · {place} · "
        f"{entry.result.value}, MFA {entry.mfa}"
    )
    # Names are chosen by whoever signs in: escaped, URLs broken, sent verbatim.
    return f"• {stamp} {inert(text, MAX_LINE_TEXT)}"


def _sections(lines: Sequence[str]) -> tuple[list[str], int]:
    """The lines packed into section texts within every limit, and how many fit."""
    room_blocks = MAX_BLOCKS - FRAME_BLOCKS
    sections: list[str] = []
    current: list[str] = []
    size = total = listed = 0
    for line in lines:
        if size + len(line) + 1 > MAX_SECTION_TEXT:
            if len(sections) + 1 >= room_blocks:
                break
            sections.append("\n".join(current))
            current, size = [], 0
        if total + len(line) + 1 > MAX_LISTED_TEXT:
            break
        current.append(line)
        size += len(line) + 1
        total += len(line) + 1
        listed += 1
    if current:
        sections.append("\n".join(current))
    return sections, listed


def rollup_message(
    period: Period,
    entries: Sequence[RoutineEntry],
    settings: Settings,
    *,
    late: bool = False,
) -> dict[str, Any]:
    """The roll-up of `entries`. `late`: a window already told, these arrived after."""
    ordered = sorted(entries, key=lambda entry: (entry.at, entry.event_id))
    severity = max((entry.severity for entry in ordered), default=Severity.INFO)
    failures = sum(entry.result is Result.FAILURE for entry in ordered)
    when = period_words(period, settings)
    title = f"Routine sign-ins {when}" + (", recorded late" if late else "")
    counts = f"{plural(len(ordered), 'sign-in')}, {failures:,} failed"
    sections, listed = _sections([entry_line(entry, period, settings) for entry in ordered])
    blocks: list[dict[str, Any]] = [
        header_block(f"{SEVERITY_EMOJI[severity]} {title}: {len(ordered):,}"),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{counts}. Below ALERT_MIN_SEVERITY "
                    f"({settings.alert_min_severity.name}): each is recorded and listed "
                    "by `/recent-logins`.",
                }
            ],
        },
        *(
            {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
            for text in sections
        ),
    ]
    if listed < len(ordered):
        more = f"… and {len(ordered) - listed:,} more (`/recent-logins` lists every one)"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {
        "text": safe(f"{severity.name}: {title}: {counts}", MAX_NOTIFICATION_TEXT),
        "blocks": blocks,
    }
