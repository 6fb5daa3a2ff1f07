"""How long the week's picture takes, in one run:

- Pillow's import in a fresh process (what the first digest of a cold container pays;
  the sign-in handler never imports it: tests/functional/test_picture_imports.py);
- drawing the PNG for a working week, an empty week and a storm of 10,000 failures in
  one hour (`render_png`), and its size;
- uploading it with slack_sdk's files_upload_v2 (its three requests) to the local Slack
  sink on 127.0.0.1: the client's own work, not Slack's network;
- the whole daily digest with its picture, through the container on moto in-process
  (claim, Query, post, BatchGetItem, draw, upload).

    .venv/bin/python -m bench.picture [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)  # a Monday, in the digest's hour
IMPORT_PILLOW = (
    "import time; t = time.perf_counter()\n"
    "from PIL import Image, ImageDraw, ImageFont; ImageFont.load_default(size=12)\n"
    "print((time.perf_counter() - t) * 1000)"
)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def pillow_import_ms(runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_PILLOW], capture_output=True, text=True, check=True
        ).stdout
        samples.append(float(out.strip()))
    return round(statistics.median(samples), 1)


def week_hours() -> dict[date, dict[str, int]]:
    """The working week's hour counters, as the sign-ins' commits would leave them."""
    from localdev.working_week import working_week

    counters: dict[date, Counter[str]] = {}
    for login in working_week(NOW):
        day, hour = login.at.date(), f"h{login.at.hour:02d}"
        counts = counters.setdefault(day, Counter())
        counts[f"{hour}_signins"] += 1
        if not login.success:
            counts[f"{hour}_failed"] += 1
        if login.kind == "Root":
            counts[f"{hour}_root"] += 1
    return {day: dict(counts) for day, counts in counters.items()}


def grids() -> dict[str, object]:
    from chalicelib.picture.week import week_grid

    last = NOW.date() - timedelta(days=1)
    busiest = [(f"IAM user user{n} (111122223333)", 40 - n, n) for n in range(5)]
    return {
        "working week": week_grid(last, "UTC", week_hours(), principals=busiest, accounts=busiest),
        "empty week": week_grid(last, "UTC", {}),
        "storm of 10,000": week_grid(
            last, "UTC", {last: {"h13_signins": 10_000, "h13_failed": 10_000}}
        ),
    }


def digest_with_picture(repeat: int) -> dict[str, float]:
    """The daily digest through the container: moto in-process, the local Slack sink."""
    import boto3
    from moto import mock_aws

    from chalicelib.container import Container
    from chalicelib.store.provision import create_ledger_table
    from localdev.fast_forward import FastForward
    from localdev.slack_sink import SlackSink
    from localdev.working_week import working_week

    with mock_aws(), SlackSink() as sink:
        create_ledger_table(boto3.client("dynamodb", region_name="us-east-1"), "bench")
        env = {
            "LEDGER_TABLE": "bench",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_CHANNEL": "C0BENCH",
            "SLACK_API_URL": sink.api_url,
            "SLACK_MIN_INTERVAL_SECONDS": "0.01",
            "DIGEST_ENABLED": "true",
            "DIGEST_HOUR_UTC": str(NOW.hour),
            "DIGEST_WEEKLY_DAY": "off",
            "ALERT_MIN_SEVERITY": "CRITICAL",
        }
        clock = FastForward(NOW)
        container = Container(env, clocks=clock.clocks())
        for login in working_week(NOW):
            container.alerter.handle(login.envelope(), deadline=clock.monotonic() + 60)
        yesterday = NOW.date() - timedelta(days=1)

        def run() -> None:
            container.day_tally.release_digest(yesterday)
            clock.advance(5.0)  # the channel's send slot is free
            outcome = container.daily_digest(deadline=clock.monotonic() + 60)
            assert "picture F0SINK" in outcome, outcome

        samples = timed(run, repeat)
        assert len(sink.files.completed) == repeat
    return percentiles(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        | {"AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)

    from chalicelib.picture.render import render_png
    from chalicelib.picture.words import alt_text
    from chalicelib.slack.web_surfaces import SlackSurfaces
    from localdev.slack_sink import SlackSink

    figures: dict[str, object] = {"pillow_import_ms": pillow_import_ms()}
    for name, grid in grids().items():
        png = render_png(grid)  # type: ignore[arg-type]
        figures[f"render {name}"] = {
            **percentiles(timed(lambda g=grid: render_png(g), args.repeat)),  # type: ignore[misc]
            "png_bytes": len(png),
        }
    working = grids()["working week"]
    png = render_png(working)  # type: ignore[arg-type]
    with SlackSink() as sink:
        surfaces = SlackSurfaces("xoxb-bench", base_url=sink.api_url)

        def upload() -> None:
            surfaces.upload_png(
                png,
                channel="C0BENCH",
                filename="week.png",
                title="week",
                alt_text=alt_text(working),  # type: ignore[arg-type]
                comment="bench",
            )

        figures["upload (files_upload_v2, local sink)"] = percentiles(timed(upload, args.repeat))
        assert len(sink.files.completed) == args.repeat
    figures["daily digest with picture (moto, local sink)"] = digest_with_picture(args.repeat)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
