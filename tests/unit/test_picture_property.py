"""GIVEN any week of hour counters and any principal names (hypothesis) WHEN the picture
is drawn THEN every cell shows its own counts (shade, failure strip, root frame), the
image always decodes at its size, and the words never carry a working Slack entity."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.picture.render import (
    CELL,
    FAILURE,
    HEIGHT,
    ROOT,
    WIDTH,
    cell_box,
    render_png,
    shade,
    strip_box,
)
from chalicelib.picture.week import DAYS, HOURS, week_days, week_grid
from chalicelib.picture.words import MAX_ALT_TEXT, alt_text, message_text

LAST_DAY = date(2026, 12, 6)
SLACK_ENTITY = re.compile(r"<[!@#]|<https?:")


@st.composite
def hour_counters(draw: st.DrawFn) -> dict[date, dict[str, int]]:
    hours: dict[date, dict[str, int]] = {}
    for day in draw(st.lists(st.sampled_from(week_days(LAST_DAY)), max_size=DAYS, unique=True)):
        counters: dict[str, int] = {}
        for hour in draw(st.lists(st.integers(0, HOURS - 1), max_size=6, unique=True)):
            signins = draw(st.integers(1, 10_000))
            counters[f"h{hour:02d}_signins"] = signins
            counters[f"h{hour:02d}_failed"] = draw(st.integers(0, signins))
            counters[f"h{hour:02d}_root"] = draw(st.integers(0, min(signins, 2)))
        hours[day] = counters
    return hours


names = st.text(st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=30, deadline=None)
@given(hours=hour_counters(), principal=names, account=names)
def test_every_cell_shows_its_own_counts(
    hours: dict[date, dict[str, int]], principal: str, account: str
) -> None:
    grid = week_grid(
        LAST_DAY, "UTC", hours, principals=[(principal, 3, 1)], accounts=[(account, 3, 1)]
    )
    decoded = Image.open(io.BytesIO(render_png(grid)))
    decoded.load()
    image = decoded.convert("RGB")

    assert image.size == (WIDTH, HEIGHT)
    busiest = grid.max_signins
    for row in range(DAYS):
        for hour in range(HOURS):
            cell = grid.cells[row][hour]
            left, top, _, _ = cell_box(row, hour)
            centre = image.getpixel((left + CELL // 2, top + CELL // 3))
            s_left, s_top, s_right, s_bottom = strip_box(row, hour)
            strip = image.getpixel(((s_left + s_right) // 2, (s_top + s_bottom) // 2))
            frame = image.getpixel((left + 1, top + CELL // 2))
            assert centre == shade(cell.signins, busiest)
            assert (strip == FAILURE) == (cell.failures > 0)
            assert (frame == ROOT) == (cell.root > 0)
    assert grid.totals.signins == sum(
        counters.get(f"h{h:02d}_signins", 0) for counters in hours.values() for h in range(24)
    )
    assert not SLACK_ENTITY.search(message_text(grid))
    assert len(alt_text(grid)) <= MAX_ALT_TEXT


def test_the_week_ends_on_its_last_day() -> None:
    assert week_days(LAST_DAY) == tuple(LAST_DAY - timedelta(days=n) for n in range(6, -1, -1))
