"""The week's picture beside the digests: read the week's hour counters (one
BatchGetItem), draw the heat map, upload it to the digest channel with
`files_upload_v2`, the figures as its message and its alt text. With only a webhook
there is no upload: the digest stays text.

The digest's text is posted first; a picture that fails is logged and said in the
schedule's outcome, never a reason to post the text again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from chalicelib import logs
from chalicelib.picture.week import WeekGrid, utc_days_of, week_days, week_grid
from chalicelib.picture.words import alt_text, message_text
from chalicelib.settings import Settings
from chalicelib.slack.web_surfaces import SlackSurfaces, SurfaceCallFailed
from chalicelib.store.day_tally import DaySummary
from chalicelib.store.week_tally import WeekTally

# The message's text beside the picture: Slack allows more, a glance needs less.
MAX_COMMENT = 1500


@dataclass(frozen=True)
class PictureTimes:
    """Where the time went, for the log and the bench (milliseconds)."""

    read_ms: float
    render_ms: float
    upload_ms: float


def render(grid: WeekGrid) -> bytes:
    from chalicelib.picture.render import render_png  # Pillow only when a picture is drawn

    return render_png(grid)


class DigestPicture:
    def __init__(
        self,
        settings: Settings,
        hours: WeekTally,
        surfaces: Callable[[], SlackSurfaces | None],
        *,
        monotonic: Callable[[], float],
    ) -> None:
        self._settings = settings
        self._hours = hours
        self._surfaces = surfaces
        self._monotonic = monotonic

    def grid(self, last_day: date, summary: DaySummary, busiest_of: str) -> WeekGrid:
        """The seven days ending `last_day` in the display time zone, the bars from
        `summary` (the days the digest read)."""
        zone = self._settings.display_timezone
        hours = self._hours.read(utc_days_of(week_days(last_day), zone))
        return week_grid(
            last_day,
            zone,
            hours,
            principals=summary.busiest,
            accounts=summary.accounts,
            busiest_of=busiest_of,
        )

    def post(self, last_day: date, summary: DaySummary, *, busiest_of: str, heading: str) -> str:
        """Upload the week's picture ending `last_day`; what happened, for the outcome."""
        surfaces = self._surfaces()
        if surfaces is None:
            return "no picture (webhook)"
        channel = self._settings.digest_channel or self._settings.slack_channel or ""
        try:
            started = self._monotonic()
            grid = self.grid(last_day, summary, busiest_of)
            read = self._monotonic()
            png = render(grid)
            drawn = self._monotonic()
            uploaded = surfaces.upload_png(
                png,
                channel=channel,
                filename=f"signins-week-{last_day.isoformat()}.png",
                title=f"{heading}: sign-ins per hour",
                alt_text=alt_text(grid),
                comment=f"*{heading}: the week at a glance*\n" + message_text(grid, MAX_COMMENT),
            )
            done = self._monotonic()
        except SurfaceCallFailed as failed:
            logs.emit({"message": "digest_picture", "outcome": "failed", "reason": str(failed)})
            return f"picture failed: {failed.error}"
        except Exception as error:  # the ledger, the drawing: the text is posted anyway
            logs.emit(
                {"message": "digest_picture", "outcome": "failed", "reason": type(error).__name__}
            )
            return f"picture failed: {type(error).__name__}"
        times = PictureTimes(
            round((read - started) * 1000, 1),
            round((drawn - read) * 1000, 1),
            round((done - drawn) * 1000, 1),
        )
        logs.emit(
            {
                "message": "digest_picture",
                "outcome": "uploaded",
                "file_id": uploaded.file_id,
                "bytes": len(png),
                **times.__dict__,
            }
        )
        return f"picture {uploaded.file_id}"
