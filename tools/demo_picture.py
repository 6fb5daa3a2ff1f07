"""`manage.py demo`, third part: the week at a glance.

A working week of sign-ins goes through the real `console_signin` handler; the daily
digest's schedule runs with Slack as the Web API (the local sink), so the week's picture
is drawn and uploaded with files_upload_v2; the demo writes that PNG to a file and prints
its path. Then someone opens the App Home tab (a signed `app_home_opened` to the real
`POST /slack/events`) and the demo prints its text rendering of the week.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from localdev.events import scheduled_event
from localdev.fast_forward import FastForward
from localdev.slack_events import home_opened_body, json_headers
from localdev.slack_sink import SlackSink
from localdev.working_week import working_week

PICTURE = Path(__file__).resolve().parent.parent / "build" / "demo" / "digest-picture.png"


def run_picture_demo(sink: SlackSink, signing_secret: str, picture: Path = PICTURE) -> Path:
    from chalice.local import LambdaContext
    from chalice.test import Client

    import app
    from chalicelib.container import Container

    clock = FastForward()
    now = clock.now()
    env = {
        **os.environ,
        "SLACK_WEBHOOK_URL": "",
        "SLACK_BOT_TOKEN": "xoxb-demo",
        # A channel of its own: the week's posts must not wait on the send slot the story
        # above left (its clock ran on; this one starts again).
        "SLACK_CHANNEL": "C0WEEK",
        "DIGEST_CHANNEL": "C0DIGEST",
        "SLACK_API_URL": sink.api_url,
        "DIGEST_ENABLED": "true",
        "DIGEST_HOUR_UTC": str(now.hour),
        "CONFIRM_ENABLED": "false",
        # Each of the week's sign-ins posted as itself (to C0WEEK, not printed): the week
        # arrives in a second of real time, and a routine roll-up updated a hundred times
        # in that second would meet chat.update's real rate limit in the local Slack.
        "ALERT_MIN_SEVERITY": "INFO",
    }
    app.container = Container(env, clocks=clock.clocks())
    context = LambdaContext("console_signin", 256, max_runtime_ms=60_000)
    week = working_week(now)
    for login in week:
        app.console_signin(login.envelope(), context)
    print(f"A working week: {len(week)} sign-ins through the real handler.")

    started = time.perf_counter()
    outcome = app.daily_digest(
        scheduled_event(now, "demo-digest"), LambdaContext("daily_digest", 256, 60_000)
    )
    elapsed = time.perf_counter() - started
    print(f"The digest's hour comes: {outcome['digest']} ({elapsed:.2f} s)")
    uploads = sink.files.completed
    if not uploads:
        print("  (no picture was uploaded)")
        return picture
    upload = uploads[0]  # the daily digest's (on DIGEST_WEEKLY_DAY the weekly's follows)
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_bytes(upload.data)
    print(f"  [#digest, file {upload.file_id}: {upload.title}]")
    print("  " + upload.initial_comment.replace("\n", "\n  "))
    print(f"\nThe digest's picture ({len(upload.data):,} bytes) is in {picture}")
    if len(uploads) > 1:  # today is DIGEST_WEEKLY_DAY: the weekly digest's picture too
        weekly = picture.with_name(picture.stem + "-week" + picture.suffix)
        weekly.write_bytes(uploads[1].data)
        print(f"and the weekly digest's picture in {weekly}")

    body = home_opened_body("Ev0DEMOHOME1", user_id="U0DEMO", team_id="T0DEMO")
    headers = json_headers(signing_secret, body, timestamp=int(clock.time()))
    with Client(app.app) as client:
        client.http.post("/slack/events", headers=headers, body=body)
    if sink.files.views:
        view = sink.files.views[-1].view
        grid = next(
            (b["text"]["text"] for b in view["blocks"] if "```" in json.dumps(b)), "```none```"
        )
        print("\nSomeone opens the app's Home tab; the week as text there:")
        print("  " + grid.strip("`").replace("\n", "\n  "))
    return picture
