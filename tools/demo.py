"""`manage.py demo`: the main job, offline.

Starts a local AWS emulator (moto server) and a local Slack sink on 127.0.0.1,
provisions the ledger, replays bundled sample sign-ins through the real
`console_signin` handler, and prints each Slack message as a person would read it,
plus what was not alerted and why; then asks `/recent-logins` through the real route
with a request signed as Slack signs it; then "Was this you?" (tools/demo_confirm.py);
then the week at a glance: the digest's picture, written to a file (tools/demo_picture.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localdev.aws import LocalAws
from localdev.fast_forward import FastForward
from localdev.render import render
from localdev.slack_sink import Reply, SlackSink
from tools.demo_changes import run_changes_demo
from tools.demo_confirm import run_confirm_demo
from tools.demo_picture import PICTURE, run_picture_demo
from tools.provision import provision

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
DEMO_TABLE = "signin-alerts-demo"
DEMO_SIGNING_SECRET = "demo-signing-secret"  # local only: the sink plays Slack
# (sample file, what it shows, Slack's behaviour for it)
SCRIPT: list[tuple[str, str, Reply | None]] = [
    ("root_success_no_mfa.json", "root signs in without MFA", None),
    ("iam_user_success_no_mfa.json", "an IAM user signs in without MFA", None),
    ("sso_success.json", "an SSO user signs in (IdP MFA is invisible: not flagged)", None),
    ("iam_user_failure.json", "a failed sign-in, while Slack answers 500 once", Reply(500, "")),
    ("check_mfa.json", "the MFA step inside a sign-in", None),
    ("root_success_no_mfa.json", "EventBridge delivers the root sign-in again", None),
]


def register(commands: Any) -> None:
    parser = commands.add_parser("demo", help="replay sample sign-ins offline and show Slack")
    parser.add_argument("--timezone", default="UTC", help="DISPLAY_TIMEZONE, e.g. Asia/Seoul")
    parser.add_argument("--language", default="en", choices=["en", "ko"])
    parser.add_argument("--logs", action="store_true", help="also print the JSON log lines")
    parser.add_argument(
        "--picture", type=Path, default=PICTURE, help="where to write the digest's picture"
    )
    parser.set_defaults(run=run)


def _load(name: str) -> dict[str, Any]:
    """A bundled sample, re-timed to a few minutes ago: the samples come from AWS's
    documentation years back, and the ledger keeps only LEDGER_RETENTION_DAYS."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    minutes_ago = len(SCRIPT) - [script[0] for script in SCRIPT].index(name)
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    event["time"] = event["detail"]["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def run(args: argparse.Namespace) -> int:
    from chalice.local import LambdaContext

    if not args.logs:
        logging.getLogger("signin_alerts").setLevel(logging.WARNING)

    with LocalAws() as aws, SlackSink() as sink:
        os.environ.update(aws.env)
        os.environ.update(
            {
                "LEDGER_TABLE": DEMO_TABLE,
                "SLACK_WEBHOOK_URL": sink.webhook_url,
                "ACCOUNT_NAMES": "123456789112=production,123456789012=staging",
                "DISPLAY_TIMEZONE": args.timezone,
                "MESSAGE_LANGUAGE": args.language,
                "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
                "SLACK_TEAM_ID": "T0DEMO",
            }
        )
        provision(DEMO_TABLE)
        print(f"local AWS emulator at {aws.endpoint_url}, Slack sink at {sink.base_url}")
        print(f"ledger table {DEMO_TABLE} provisioned\n")

        import app  # after the environment is set: the container reads it on first use
        from chalicelib.container import Container

        clock = FastForward()  # the demo moves time instead of waiting for it
        app.container = Container(clocks=clock.clocks())

        for number, (name, story, slack_reply) in enumerate(SCRIPT, start=1):
            if slack_reply is not None:
                sink.then(slack_reply)
            seen = len(sink.messages)
            context = LambdaContext("console_signin", 256, max_runtime_ms=60_000)
            result = app.console_signin(_load(name), context)
            print(f"{number}. {story}  ->  {result['outcome']}", end="")
            print(f" after {result['attempts']} attempts" if result["attempts"] > 1 else "")
            for message in sink.messages[seen:]:
                print(render(message))
            if result["outcome"] == "not_alerted":
                print(f"  (recorded in the ledger, not posted: {result['reason']})")
            if result["outcome"] == "duplicate":
                print("  (already posted for this eventID: not posted again)")
            print()

        print("Someone types /recent-logins in Slack (a signed request to the real route):")
        print(render(_slash_command(app.app, "/recent-logins 5")))
        print()

        print("An hour later, the every-minute schedule rolls up the routine sign-ins:")
        seen = len(sink.messages)
        window = app.container.settings.routine_summary_minutes * 60
        clock.advance(window - clock.time() % window + 30)  # the window has closed
        app.container.minute_sweeps(deadline=app.container.deadline.start_within(60))
        for message in sink.messages[seen:]:
            print(render(message))
        print()

        ledger = app.container.ledger
        recorded = {_load(name)["detail"]["eventID"] for name, _, _ in SCRIPT}
        in_ledger = sum(1 for event_id in recorded if ledger.get(event_id) is not None)
        print(
            f"{len(SCRIPT)} events in ({len(recorded)} distinct), {len(sink.messages)} Slack "
            f"messages, {sink.count(500)} Slack error retried, {in_ledger} sign-ins in the ledger."
        )
        print()
        run_changes_demo(app, sink)
        run_confirm_demo(sink, DEMO_SIGNING_SECRET)
        run_picture_demo(sink, DEMO_SIGNING_SECRET, args.picture)
    return 0


def _slash_command(chalice_app: Any, typed: str) -> dict[str, Any]:
    """POST what Slack would send for `typed`, signed as Slack signs it."""
    import time
    from urllib.parse import urlencode

    from chalice.test import Client

    from chalicelib.slack.verify import sign

    command, _, text = typed.partition(" ")
    body = urlencode(
        {
            "team_id": "T0DEMO",
            "user_id": "U0DEMO",
            "channel_id": "C0DEMO",
            "command": command,
            "text": text,
        }
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(DEMO_SIGNING_SECRET, timestamp, body),
    }
    with Client(chalice_app) as client:
        response = client.http.post("/slack/recent-logins", headers=headers, body=body)
    reply: dict[str, Any] = json.loads(response.body)
    return reply
