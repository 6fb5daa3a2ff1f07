"""The week as a grid: rows the last seven days, columns the hours of the day, both in
the display time zone, each cell the sign-ins, failures and root sign-ins counted in
that hour. Built from the ledger's per-hour counters (`h07_signins`, UTC hours of UTC
days); pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.store.listing import hourly_name
from chalicelib.store.schema import TOTAL_COUNTER, Category

DAYS = 7
HOURS = 24


@dataclass(frozen=True)
class HourCell:
    signins: int = 0
    failures: int = 0
    root: int = 0

    def plus(self, other: HourCell) -> HourCell:
        return HourCell(
            self.signins + other.signins, self.failures + other.failures, self.root + other.root
        )


@dataclass(frozen=True)
class Bar:
    """One row of the bar chart: a principal or an account, hostile text as stored."""

    label: str
    signins: int
    failures: int


@dataclass(frozen=True)
class WeekGrid:
    days: tuple[date, ...]  # oldest first, in `timezone`
    timezone: str
    cells: tuple[tuple[HourCell, ...], ...]  # [day][hour]
    principals: tuple[Bar, ...] = ()
    accounts: tuple[Bar, ...] = ()
    busiest_of: str = "yesterday"  # what the bars count: "yesterday", "the week"

    @property
    def totals(self) -> HourCell:
        total = HourCell()
        for row in self.cells:
            for cell in row:
                total = total.plus(cell)
        return total

    @property
    def busiest_hour(self) -> tuple[date, int, HourCell] | None:
        """The (day, hour, cell) with the most sign-ins; the earliest on a tie."""
        best: tuple[date, int, HourCell] | None = None
        for day, row in zip(self.days, self.cells, strict=True):
            for hour, cell in enumerate(row):
                if cell.signins and (best is None or cell.signins > best[2].signins):
                    best = (day, hour, cell)
        return best

    @property
    def root_hours(self) -> list[tuple[date, int, HourCell]]:
        return [
            (day, hour, cell)
            for day, row in zip(self.days, self.cells, strict=True)
            for hour, cell in enumerate(row)
            if cell.root
        ]

    @property
    def max_signins(self) -> int:
        return max((cell.signins for row in self.cells for cell in row), default=0)


def week_days(last_day: date) -> tuple[date, ...]:
    return tuple(last_day - timedelta(days=back) for back in range(DAYS - 1, -1, -1))


def utc_days_of(days: Sequence[date], timezone: str) -> list[date]:
    """The UTC days whose hours fall into these local days (one more than the days
    when the zone is not UTC): the `HOURS` items to read."""
    zone = ZoneInfo(timezone)
    first = datetime(days[0].year, days[0].month, days[0].day, tzinfo=zone)
    last = datetime(days[-1].year, days[-1].month, days[-1].day, tzinfo=zone) + timedelta(days=1)
    start, end = first.astimezone(UTC).date(), (last - timedelta(seconds=1)).astimezone(UTC).date()
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _cell(counters: Mapping[str, int], hour: int) -> HourCell:
    return HourCell(
        counters.get(hourly_name(hour, TOTAL_COUNTER), 0),
        counters.get(hourly_name(hour, Category.FAILED.value), 0),
        counters.get(hourly_name(hour, Category.ROOT.value), 0),
    )


def week_grid(
    last_day: date,
    timezone: str,
    hours: Mapping[date, Mapping[str, int]],
    *,
    principals: Sequence[tuple[str, int, int]] = (),
    accounts: Sequence[tuple[str, int, int]] = (),
    busiest_of: str = "yesterday",
) -> WeekGrid:
    """The seven days ending `last_day` (in `timezone`), from each UTC day's hour
    counters. Each UTC hour lands in the local hour it starts in: in a zone with a
    half-hour offset, an hour's sign-ins are shown in the local hour it begins."""
    days = week_days(last_day)
    zone = ZoneInfo(timezone)
    row_of = {day: index for index, day in enumerate(days)}
    grid = [[HourCell() for _ in range(HOURS)] for _ in days]
    for utc_day, counters in hours.items():
        for hour in range(HOURS):
            cell = _cell(counters, hour)
            if not cell.signins and not cell.failures and not cell.root:
                continue
            start = datetime(utc_day.year, utc_day.month, utc_day.day, hour, tzinfo=UTC)
            local = start.astimezone(zone)
            row = row_of.get(local.date())
            if row is not None:
                grid[row][local.hour] = grid[row][local.hour].plus(cell)
    return WeekGrid(
        days,
        timezone,
        tuple(tuple(row) for row in grid),
        tuple(Bar(*row) for row in principals),
        tuple(Bar(*row) for row in accounts),
        busiest_of,
    )
