"""The picture in words: its figures for the message text (mrkdwn, escaped), its alt
text (plain, within Slack's 1,000 characters) and a text rendering of the grid for where
an image cannot go (the App Home tab). The picture adds to the words, never replaces."""

from __future__ import annotations

from chalicelib.picture.render import level, printable, title_of
from chalicelib.picture.week import Bar, WeekGrid
from chalicelib.slack.blocks import clip, defang, escape

MAX_ALT_TEXT = 1000  # Slack's limit for a file's alt_txt and an image block's alt_text
# One character per hour, lightest to darkest (the picture's ramp), and the marks.
SHADES = "·░▒▓█▉"
FAILURE_MARK = "x"
ROOT_MARK = "R"


def _bars(bars: tuple[Bar, ...]) -> str:
    return "; ".join(
        f"{printable(bar.label, 120)}: {bar.signins}"
        + (f" ({bar.failures} failed)" if bar.failures else "")
        for bar in bars
    )


def figures(grid: WeekGrid) -> list[str]:
    """The picture's facts as plain sentences (hostile names made printable)."""
    totals = grid.totals
    lines = [
        f"{title_of(grid)}: {totals.signins} sign-ins, {totals.failures} failed, "
        f"{totals.root} root."
    ]
    busiest = grid.busiest_hour
    if busiest is not None:
        day, hour, cell = busiest
        lines.append(
            f"Busiest hour: {day:%a %d %b} {hour:02d}:00, {cell.signins} sign-ins"
            + (f", {cell.failures} failed." if cell.failures else ".")
        )
    roots = grid.root_hours
    if roots:
        shown = ", ".join(f"{day:%a %d %b} {hour:02d}:00" for day, hour, _ in roots[:5])
        lines.append(f"Root sign-ins at {shown}" + (" and more." if len(roots) > 5 else "."))
    if grid.principals:
        lines.append(f"Busiest principals ({grid.busiest_of}): {_bars(grid.principals)}.")
    if grid.accounts:
        lines.append(f"Busiest accounts ({grid.busiest_of}): {_bars(grid.accounts)}.")
    return lines


def alt_text(grid: WeekGrid) -> str:
    return clip("Heat map. " + " ".join(figures(grid)), MAX_ALT_TEXT)


def message_text(grid: WeekGrid, limit: int = 3000) -> str:
    """The figures for a Slack message: escaped, so a name like `<!channel>` pings no one."""
    return clip(escape(defang("\n".join(figures(grid)))), limit)


def text_grid(grid: WeekGrid) -> str:
    """The heat map in characters, for a code block: a shade per hour, `x` where an hour
    had failures, `R` where it had a root sign-in."""
    busiest = grid.max_signins
    header = " " * 11 + "".join(f"{hour:<3d}" if hour % 3 == 0 else "" for hour in range(24))
    rows = [header.rstrip()]
    for day, cells in zip(grid.days, grid.cells, strict=True):
        marks = []
        for cell in cells:
            if cell.root:
                marks.append(ROOT_MARK)
            elif cell.failures:
                marks.append(FAILURE_MARK)
            else:
                marks.append(SHADES[level(cell.signins, busiest) + 1])
        rows.append(f"{day:%a %d %b} " + "".join(marks))
    legend = f"{SHADES[0]} none  {SHADES[1:]} fewer to more (busiest hour {busiest})  "
    rows.append(legend + f"{FAILURE_MARK} failures  {ROOT_MARK} root")
    return "\n".join(rows)
