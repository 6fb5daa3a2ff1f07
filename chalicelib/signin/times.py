"""CloudTrail's event times: ISO text in, an aware UTC datetime or None out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_TIME_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.ASCII,
)


def parse_time(raw: str) -> datetime | None:
    """CloudTrail's ISO time, with or without fractions (up to nanoseconds), as UTC; None
    for anything else: a day that does not exist, an offset of a day or more, a moment
    that UTC cannot hold (year 1 at +05:00). Never raises."""
    match = _TIME_PATTERN.match(raw.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = UTC
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            if minutes >= 60:
                return None
            # timezone() itself refuses offsets of 24 hours or more.
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tz
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
