"""How a message says when a sign-in happened, in each language the app has.

A record with an `eventTime` shows it as a Slack date token (each reader's own time
zone). A record without one never shows its arrival as if it were the sign-in's time:
it says "time not recorded (received 14:05 UTC)", the arrival in the display time zone.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.settings import Language, Settings
from chalicelib.slack.blocks import local_time, slack_date

TIME_NOT_RECORDED = {
    Language.EN: "time not recorded (received {clock})",
    Language.KO: "시각 기록 없음 (수신 {clock})",
}


def clock_text(moment: datetime, timezone_name: str) -> str:
    """`14:05 UTC`: the hour and minute in the display time zone. Never raises."""
    local = local_time(moment, timezone_name)
    return f"{local:%H:%M} {local.tzname() or 'UTC'}"


def signin_time_text(moment: datetime, recorded: bool, settings: Settings) -> str:
    """The sign-in's time as a date token, or "time not recorded (received HH:MM)"
    when the record has none (`moment` is then when it was received)."""
    if recorded:
        return slack_date(moment, settings.display_timezone)
    template = TIME_NOT_RECORDED[settings.language]
    return template.format(clock=clock_text(moment, settings.display_timezone))
