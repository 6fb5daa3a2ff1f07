"""The week's heat map as a PNG, drawn with Pillow: rows the days, columns the hours,
each cell shaded by its sign-ins (a log scale up to the week's busiest hour), a red strip
near the bottom of an hour with failures, an amber frame round an hour with a root
sign-in, a legend, and the busiest principals and accounts as bars beside it.

Pillow is imported inside `render_png` only: the sign-in handler never loads it
(tests/unit/test_picture_imports.py keeps that true)."""

from __future__ import annotations

import functools
import io
import math
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.picture.week import DAYS, HOURS, Bar, HourCell, WeekGrid

if TYPE_CHECKING:
    from PIL.ImageDraw import ImageDraw

WIDTH, HEIGHT = 1200, 310
MARGIN = 16
GRID_LEFT, GRID_TOP = 106, 62
CELL, GAP = 26, 2
FAILURE_STRIP = 5  # pixels near the bottom of a cell with failures
ROOT_FRAME = 3  # pixels of frame round a cell with a root sign-in
BARS_LEFT = GRID_LEFT + HOURS * (CELL + GAP) + 32
BAR_LABEL_WIDTH = 180
BAR_MAX_WIDTH = 120
BAR_ROWS = 5

BACKGROUND = (255, 255, 255)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
EMPTY = (236, 239, 242)
RAMP = ((198, 219, 239), (158, 202, 225), (107, 174, 214), (49, 130, 189), (8, 69, 148))
FAILURE = (214, 39, 40)
ROOT = (255, 170, 0)


def level(signins: int, busiest: int) -> int:
    """The shade of a cell: -1 for none, else 0..len(RAMP)-1 on a log scale, so that a
    storm of thousands in one hour leaves the ordinary hours visible."""
    if signins <= 0:
        return -1
    if busiest <= 1:
        return len(RAMP) - 1
    share = math.log1p(signins) / math.log1p(busiest)
    return min(len(RAMP) - 1, int(share * len(RAMP)))


def shade(signins: int, busiest: int) -> tuple[int, int, int]:
    found = level(signins, busiest)
    return EMPTY if found < 0 else RAMP[found]


def cell_box(row: int, hour: int) -> tuple[int, int, int, int]:
    """The cell's rectangle (left, top, right, bottom), inclusive."""
    left = GRID_LEFT + hour * (CELL + GAP)
    top = GRID_TOP + row * (CELL + GAP)
    return left, top, left + CELL - 1, top + CELL - 1


def strip_box(row: int, hour: int) -> tuple[int, int, int, int]:
    """The failure strip's rectangle: inside where a root frame would be, so that an hour
    with both shows both."""
    left, _, right, bottom = cell_box(row, hour)
    inner = bottom - ROOT_FRAME
    return left + ROOT_FRAME, inner - FAILURE_STRIP + 1, right - ROOT_FRAME, inner


def printable(text: str, limit: int = 200) -> str:
    """Hostile text as plain characters: no control or format characters (a right-to-
    left override, a zero-width joiner, a NUL), whitespace as spaces, bounded."""
    kept = []
    for char in text[: limit * 4]:
        category = unicodedata.category(char)
        if category.startswith("Z") or char in "\t\n\r":
            kept.append(" ")
        elif category[0] != "C":
            kept.append(char)
    return " ".join("".join(kept).split())[:limit] or "?"


@dataclass(frozen=True)
class _Fonts:
    title: Any
    text: Any
    small: Any


@functools.cache
def _fonts() -> _Fonts:
    """Pillow's bundled font (no font file to ship), loaded once per container."""
    from PIL import ImageFont

    return _Fonts(
        ImageFont.load_default(size=16),
        ImageFont.load_default(size=13),
        ImageFont.load_default(size=11),
    )


def _fitted(draw: ImageDraw, text: str, font: Any, width: int) -> str:
    """`text` cut with an ellipsis to fit `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with its ellipsis
        middle = (low + high + 1) // 2
        if draw.textlength(text[:middle] + "…", font=font) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


def _grid(draw: ImageDraw, grid: WeekGrid, fonts: _Fonts) -> None:
    busiest = grid.max_signins
    for hour in range(HOURS):
        left = cell_box(0, hour)[0]
        draw.text((left + 4, GRID_TOP - 16), f"{hour:02d}", fill=MUTED, font=fonts.small)
    for row, (day, cells) in enumerate(zip(grid.days, grid.cells, strict=True)):
        top = cell_box(row, 0)[1]
        draw.text((MARGIN, top + 6), day.strftime("%a %d %b"), fill=INK, font=fonts.text)
        for hour, cell in enumerate(cells):
            _cell(draw, row, hour, cell, busiest)


def _cell(draw: ImageDraw, row: int, hour: int, cell: HourCell, busiest: int) -> None:
    box = cell_box(row, hour)
    draw.rectangle(box, fill=shade(cell.signins, busiest))
    if cell.failures:
        draw.rectangle(strip_box(row, hour), fill=FAILURE)
    if cell.root:
        draw.rectangle(box, outline=ROOT, width=ROOT_FRAME)


def _legend(draw: ImageDraw, grid: WeekGrid, fonts: _Fonts) -> None:
    top = GRID_TOP + DAYS * (CELL + GAP) + 14
    x = GRID_LEFT
    draw.text((x, top + 2), "fewer", fill=MUTED, font=fonts.small)
    x += 36
    for colour in (EMPTY, *RAMP):
        draw.rectangle((x, top, x + 17, top + 17), fill=colour)
        x += 20
    busiest = grid.max_signins
    draw.text((x + 4, top + 2), f"more (busiest hour: {busiest})", fill=MUTED, font=fonts.small)
    x += 190
    draw.rectangle((x, top + 12, x + 17, top + 17), fill=EMPTY)
    draw.rectangle((x, top + 13, x + 17, top + 17), fill=FAILURE)
    draw.text((x + 24, top + 2), "failures in the hour", fill=INK, font=fonts.small)
    x += 150
    draw.rectangle((x, top, x + 17, top + 17), outline=ROOT, width=ROOT_FRAME)
    draw.text((x + 24, top + 2), "root sign-in", fill=INK, font=fonts.small)


def _bars(draw: ImageDraw, title: str, bars: tuple[Bar, ...], top: int, fonts: _Fonts) -> None:
    draw.text((BARS_LEFT, top), title, fill=INK, font=fonts.text)
    if not bars:
        draw.text((BARS_LEFT, top + 20), "no sign-ins", fill=MUTED, font=fonts.small)
        return
    most = max(bar.signins for bar in bars) or 1
    for index, bar in enumerate(bars[:BAR_ROWS]):
        y = top + 20 + index * 20
        label = _fitted(draw, printable(bar.label), fonts.small, BAR_LABEL_WIDTH - 8)
        draw.text((BARS_LEFT, y + 2), label, fill=INK, font=fonts.small)
        x = BARS_LEFT + BAR_LABEL_WIDTH
        length = max(2, round(BAR_MAX_WIDTH * bar.signins / most))
        failed = round(length * min(bar.failures, bar.signins) / max(1, bar.signins))
        draw.rectangle((x, y + 3, x + length - 1, y + 15), fill=RAMP[3])
        if failed:
            draw.rectangle((x + length - failed, y + 3, x + length - 1, y + 15), fill=FAILURE)
        figures = f"{bar.signins}" + (f" ({bar.failures} failed)" if bar.failures else "")
        draw.text((x + length + 6, y + 2), figures, fill=MUTED, font=fonts.small)


def title_of(grid: WeekGrid) -> str:
    first, last = grid.days[0], grid.days[-1]
    return f"Sign-ins per hour, {first:%a %d %b} to {last:%a %d %b %Y} ({printable(grid.timezone)})"


def render_png(grid: WeekGrid) -> bytes:
    """The picture as PNG bytes, WIDTH x HEIGHT, the same bytes for the same grid."""
    from PIL import Image, ImageDraw

    fonts = _fonts()
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 14), title_of(grid), fill=INK, font=fonts.title)
    totals = grid.totals
    summary = f"{totals.signins} sign-ins, {totals.failures} failed, {totals.root} root"
    draw.text((BARS_LEFT, 16), summary, fill=INK, font=fonts.text)
    _grid(draw, grid, fonts)
    _legend(draw, grid, fonts)
    _bars(draw, f"Busiest principals ({grid.busiest_of})", grid.principals, GRID_TOP - 18, fonts)
    _bars(draw, f"Busiest accounts ({grid.busiest_of})", grid.accounts, GRID_TOP + 112, fonts)
    out = io.BytesIO()
    # zlib's default level: `optimize` would make the PNG 2 % smaller in 5 times the time.
    image.save(out, format="PNG")
    return out.getvalue()
