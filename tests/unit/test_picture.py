"""GIVEN a week of per-hour counters WHEN the picture is drawn THEN it decodes as a PNG
of the stated size, each cell's colour follows its counts (shade by sign-ins, a red
strip for failures, an amber frame for root), and hostile principal names are text:
they neither break the image nor ping anyone in the message."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from chalicelib.picture.render import (
    CELL,
    EMPTY,
    FAILURE,
    HEIGHT,
    RAMP,
    ROOT,
    WIDTH,
    cell_box,
    render_png,
    shade,
    strip_box,
)
from chalicelib.picture.week import DAYS, HOURS, WeekGrid, utc_days_of, week_days, week_grid
from chalicelib.picture.words import MAX_ALT_TEXT, alt_text, message_text, text_grid

LAST_DAY = date(2026, 12, 6)  # a Sunday: the week is Mon 30 Nov to Sun 6 Dec
HOSTILE = (
    "<!channel> <https://evil.example|AWS>",
    "\u202eevil\u200d\x00\x07 tab\there",
    "日本語 😀 e\u0301 " + "A" * 5000,
    "`code` *bold* &amp; @here",
    "",
)


def drawn(grid: WeekGrid) -> Image.Image:
    image = Image.open(io.BytesIO(render_png(grid)))
    image.load()
    return image.convert("RGB")


def centre(image: Image.Image, row: int, hour: int) -> tuple[int, int, int]:
    left, top, _, _ = cell_box(row, hour)
    return image.getpixel((left + CELL // 2, top + CELL // 3))  # type: ignore[return-value]


def strip(image: Image.Image, row: int, hour: int) -> tuple[int, int, int]:
    left, top, right, bottom = strip_box(row, hour)
    return image.getpixel(((left + right) // 2, (top + bottom) // 2))  # type: ignore[return-value]


def frame(image: Image.Image, row: int, hour: int) -> tuple[int, int, int]:
    left, top, _, _ = cell_box(row, hour)
    return image.getpixel((left + 1, top + CELL // 2))  # type: ignore[return-value]


def cells(grid: WeekGrid) -> list[tuple[int, int]]:
    return [(row, hour) for row in range(DAYS) for hour in range(HOURS)]


def known_week() -> WeekGrid:
    """Mon 30 Nov to Sun 6 Dec, UTC: a working week's pattern and some failures."""
    hours: dict[date, dict[str, int]] = {}
    for offset, day in enumerate(week_days(LAST_DAY)):
        counters: dict[str, int] = {}
        for hour in range(8, 18):
            counters[f"h{hour:02d}_signins"] = (offset + 1) * (hour - 7)
        counters["h03_signins"] = counters["h03_failed"] = offset
        hours[day] = counters
    return week_grid(
        LAST_DAY,
        "UTC",
        hours,
        principals=[("alice (111122223333)", 40, 2)],
        accounts=[("111122223333", 40, 2)],
    )


def test_the_picture_decodes_with_its_size() -> None:
    image = drawn(known_week())
    assert image.size == (WIDTH, HEIGHT)


def test_each_cell_is_shaded_by_its_sign_ins_and_marked_for_failures() -> None:
    grid = known_week()
    image = drawn(grid)
    busiest = grid.max_signins
    for row, hour in cells(grid):
        cell = grid.cells[row][hour]
        assert centre(image, row, hour) == shade(cell.signins, busiest)
        assert (strip(image, row, hour) == FAILURE) == (cell.failures > 0)
        assert frame(image, row, hour) != ROOT
    # More sign-ins never look lighter: the shade's rank follows the count.
    ranked = sorted(
        (grid.cells[r][h].signins, [EMPTY, *RAMP].index(centre(image, r, h)))
        for r, h in cells(grid)
    )
    assert [level for _, level in ranked] == sorted(level for _, level in ranked)
    assert centre(image, 6, 17) == RAMP[-1]  # the busiest hour is the darkest


def test_an_empty_week_is_all_empty_cells() -> None:
    grid = week_grid(LAST_DAY, "UTC", {})
    image = drawn(grid)
    assert {centre(image, r, h) for r, h in cells(grid)} == {EMPTY}
    assert {strip(image, r, h) for r, h in cells(grid)} == {EMPTY}
    assert "0 sign-ins, 0 failed, 0 root" in alt_text(grid)


def test_one_root_sign_in_is_framed_in_its_own_colour() -> None:
    hours = {date(2026, 12, 2): {"h04_signins": 1, "h04_root": 1}}
    grid = week_grid(LAST_DAY, "UTC", hours)
    image = drawn(grid)
    framed = [(r, h) for r, h in cells(grid) if frame(image, r, h) == ROOT]
    assert framed == [(2, 4)]
    assert centre(image, 2, 4) == RAMP[-1]
    assert "Root sign-ins at Wed 02 Dec 04:00" in alt_text(grid)
    assert "R" in text_grid(grid).splitlines()[3]


def test_a_storm_of_ten_thousand_failures_leaves_quiet_hours_visible() -> None:
    hours = {
        date(2026, 12, 5): {"h13_signins": 10_000, "h13_failed": 10_000},
        date(2026, 12, 1): {"h09_signins": 1},
    }
    grid = week_grid(LAST_DAY, "UTC", hours)
    image = drawn(grid)
    assert centre(image, 5, 13) == RAMP[-1] and strip(image, 5, 13) == FAILURE
    assert centre(image, 1, 9) == RAMP[0]  # one sign-in is still a shade, not empty
    assert "10000 sign-ins, 10000 failed" in alt_text(grid)


def test_hours_land_in_the_display_time_zone() -> None:
    # 23:00 UTC on Sat 5 Dec is 00:00 on Sun 6 Dec in Berlin.
    days = week_days(LAST_DAY)
    assert len(utc_days_of(days, "Europe/Berlin")) == 8
    assert utc_days_of(days, "UTC") == list(days)
    grid = week_grid(LAST_DAY, "Europe/Berlin", {date(2026, 12, 5): {"h23_signins": 3}})
    assert grid.cells[6][0].signins == 3 and grid.totals.signins == 3


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_names_are_text_in_the_image_and_the_message(name: str) -> None:
    grid = week_grid(
        LAST_DAY,
        "UTC",
        {LAST_DAY: {"h10_signins": 3, "h10_failed": 1}},
        principals=[(name, 3, 1), ("bob (111122223333)", 1, 0)],
        accounts=[(name, 3, 1)],
    )
    image = drawn(grid)
    assert image.size == (WIDTH, HEIGHT)
    assert centre(image, 6, 10) == RAMP[-1]
    text = message_text(grid)
    assert "<!" not in text and "<http" not in text
    assert len(alt_text(grid)) <= MAX_ALT_TEXT
    assert "\u202e" not in alt_text(grid) and "\x00" not in alt_text(grid)
