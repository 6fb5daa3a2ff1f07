"""GIVEN a week of sign-ins and Slack as the Web API WHEN the digest's hour comes THEN
the text digest is posted and the week's picture is uploaded to the digest channel
(files_upload_v2's three steps, to the local Slack), its figures in the alt text and the
message; posted once; with only a webhook the digest stays text; a failed upload never
reposts the text; on DIGEST_WEEKLY_DAY the weekly digest follows with its own picture."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from PIL import Image

from chalicelib.container import Container
from chalicelib.picture.render import CELL, FAILURE, HEIGHT, RAMP, ROOT, WIDTH, cell_box, strip_box
from localdev.events import console_login
from localdev.slack_sink import SlackSink
from tests.conftest import NOW, load_event
from tests.functional.test_places_and_digest import run_digest

YESTERDAY = (NOW - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
DIGEST_CHANNEL = "C0DIGEST"


def web_api(configure: Callable[..., Container], sink: SlackSink, **extra: str) -> Container:
    settings = {
        "SLACK_WEBHOOK_URL": "",
        "SLACK_BOT_TOKEN": "xoxb-secret-token",
        "SLACK_CHANNEL": "C0SECOPS",
        "DIGEST_CHANNEL": DIGEST_CHANNEL,
        "SLACK_API_URL": sink.api_url,
        "DIGEST_ENABLED": "true",
        "DIGEST_HOUR_UTC": str(NOW.hour),
        "DIGEST_WEEKLY_DAY": "off",
    }
    settings.update(extra)
    return configure(**settings)


def a_week(invoke: Any) -> None:
    """Yesterday 10:00 UTC: 3 sign-ins by alice; 4 days earlier at 07:00: 2 failures by
    bob; yesterday 12:00: a root sign-in. The Wednesday a week ago is outside."""
    for n in range(3):
        at = YESTERDAY + timedelta(minutes=n)
        invoke(console_login(f"w-a{n}", at, user="alice", ip="8.8.8.8", success=True, mfa=True))
    earlier = YESTERDAY - timedelta(days=4) - timedelta(hours=3)
    for n in range(2):
        at = earlier + timedelta(minutes=n)
        invoke(console_login(f"w-b{n}", at, user="bob", ip="8.8.4.4", success=False))
    root = load_event("root_success_no_mfa.json")
    root["detail"]["eventTime"] = (YESTERDAY + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root["id"] = root["detail"]["eventID"] = "w-root"
    invoke(root)
    outside = YESTERDAY - timedelta(days=7)
    invoke(console_login("w-old", outside, user="carol", ip="8.8.8.8", success=True, mfa=True))


def image_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def pixel(image: Image.Image, row: int, hour: int, *, dx: int, dy: int) -> tuple[int, ...]:
    left, top, _, _ = cell_box(row, hour)
    return image.getpixel((left + dx, top + dy))  # type: ignore[return-value]


def test_the_daily_digest_carries_the_weeks_picture(invoke, configure, slack_sink) -> None:
    web_api(configure, slack_sink)
    a_week(invoke)

    first, second = run_digest(), run_digest()

    assert first["digest"].startswith(f"posted for {YESTERDAY.date()}; picture F0SINK")
    assert second["digest"].startswith("already posted")
    [upload] = slack_sink.files.completed
    assert upload.channel == DIGEST_CHANNEL
    image = image_of(upload.data)
    assert image.size == (WIDTH, HEIGHT)
    # Rows are Wed 18 Nov .. Tue 24 Nov (yesterday, row 6); hours in UTC.
    assert pixel(image, 6, 10, dx=CELL // 2, dy=CELL // 3) == RAMP[-1]  # alice's 3
    assert pixel(image, 6, 12, dx=1, dy=CELL // 2) == ROOT  # the root sign-in
    left, top, _, _ = strip_box(2, 7)
    assert image.getpixel((left + 2, top + 2)) == FAILURE  # bob's failures
    for words in (upload.alt_txt, upload.initial_comment):
        assert "6 sign-ins, 2 failed, 1 root" in words
        assert "Busiest hour: Tue 24 Nov 10:00, 3 sign-ins" in words
        assert "carol" not in words
    text_posts = [r.json for r in slack_sink.delivered if r.path.endswith("/chat.postMessage")]
    assert [post["text"][:30] for post in text_posts][-1] == "INFO: sign-in digest for 2026-"


def test_with_only_a_webhook_the_digest_stays_text(invoke, configure, slack_sink) -> None:
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(NOW.hour))
    a_week(invoke)

    outcome = run_digest()

    assert outcome["digest"] == f"posted for {YESTERDAY.date()}; no picture (webhook)"
    assert slack_sink.files.uploads == []
    assert slack_sink.messages[-1]["text"].startswith("INFO: sign-in digest")


def test_a_failed_upload_never_posts_the_text_twice(invoke, configure, slack_sink) -> None:
    web_api(configure, slack_sink)
    a_week(invoke)
    slack_sink.files.error, slack_sink.files.error_method = (
        "not_in_channel",
        ("files.getUploadURLExternal"),
    )
    before = len(slack_sink.delivered)

    first, second = run_digest(), run_digest()

    assert first["digest"] == f"posted for {YESTERDAY.date()}; picture failed: not_in_channel"
    assert second["digest"].startswith("already posted")
    assert len(slack_sink.delivered) == before + 1  # the text, once
    assert slack_sink.files.completed == []


def test_the_weekly_digest_follows_on_its_day(invoke, configure, slack_sink) -> None:
    web_api(configure, slack_sink, DIGEST_WEEKLY_DAY=NOW.strftime("%A").lower())
    a_week(invoke)

    first, second = run_digest(), run_digest()

    assert "; weekly: posted for the week ending 2026-11-24; picture F0SINK" in first["digest"]
    assert "weekly: already posted" in second["digest"]
    weekly = [
        r.json
        for r in slack_sink.delivered
        if r.path.endswith("/chat.postMessage") and "sign-in week" in r.json.get("text", "")
    ]
    [message] = weekly
    assert message["text"].startswith("INFO: sign-in week, Wed 18 Nov to Tue 24 Nov 2026: 6 ")
    body = json.dumps(message["blocks"])
    assert "IAM user alice (123456789012): 3 sign-ins, 0 failed" in body
    assert "carol" not in body
    daily_upload, weekly_upload = slack_sink.files.completed
    assert "Busiest principals (the week)" in weekly_upload.alt_txt
    assert "Busiest principals (yesterday)" in daily_upload.alt_txt
