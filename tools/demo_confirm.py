"""`manage.py demo`, second part: "Was this you?" through the real handlers.

Slack becomes the Web API (the local sink), questions are on, and the demo's clock can
move: alice confirms her sign-in, bob denies his (escalated at once), and nobody
answers for carol, whose Slack user is found by her e-mail address (escalated by the
`pending_confirmations` sweep once `CONFIRM_WITHIN_MINUTES` have passed).
"""

from __future__ import annotations

import os
from typing import Any

from localdev.events import console_login, scheduled_event
from localdev.fast_forward import FastForward
from localdev.interactions import click_body, signed_headers
from localdev.render import render
from localdev.slack_sink import Received, SlackSink

TEAM_ID = "T0DEMO"
USERS = {"alice": "U0ALICE", "bob": "U0BOB"}


def run_confirm_demo(sink: SlackSink, signing_secret: str) -> None:
    from chalice.local import LambdaContext
    from chalice.test import Client

    import app
    from chalicelib.container import Container

    clock = FastForward()  # the demo moves time instead of waiting for it
    env = {
        **os.environ,
        "SLACK_WEBHOOK_URL": "",
        "SLACK_BOT_TOKEN": "xoxb-demo",
        "SLACK_CHANNEL": "C0ALERTS",
        "SLACK_API_URL": sink.api_url,
        "CONFIRM_ENABLED": "true",
        "SLACK_USER_MAP": ",".join(f"arn:aws:iam::*:user/{n}={u}" for n, u in USERS.items()),
        "SLACK_ESCALATION_MENTION": "<!subteam^S0SEC|@security>",
    }
    sink.users_by_email["carol@example.com"] = "U0CAROL"
    app.container = Container(env, clocks=clock.clocks())
    context = LambdaContext("console_signin", 256, max_runtime_ms=60_000)

    def show(since: int, who: str) -> None:
        for request in sink.delivered[since:]:
            shown = _as_seen(request, who)
            if shown:
                print(shown)

    def click(action: str, event_id: str, user_id: str) -> None:
        body = click_body(
            action,
            event_id,
            user_id=user_id,
            team_id=TEAM_ID,
            response_url=f"{sink.base_url}/actions/{TEAM_ID}/1/demo",
        )
        with Client(app.app) as client:
            client.http.post(
                "/slack/interactions",
                headers=signed_headers(signing_secret, body, timestamp=int(clock.time())),
                body=body,
            )

    print("── Was this you? (CONFIRM_ENABLED=true, Slack through the Web API) ──\n")
    for number, (user, event_id) in enumerate(
        [("alice", "demo-yes"), ("bob", "demo-no"), ("carol@example.com", "demo-silent")], 1
    ):
        seen = len(sink.delivered)
        event = console_login(event_id, clock.now(), user=user, success=True, ip="198.51.100.23")
        app.console_signin(event, context)
        print(f"{number}. {user} signs in without MFA: the alert, and the question")
        show(seen, user)
        print()

    seen = len(sink.delivered)
    clock.advance(minutes=2)
    click("signin_was_me", "demo-yes", USERS["alice"])
    print("alice clicks “Yes, it was me” two minutes later:")
    show(seen, "alice")

    seen = len(sink.delivered)
    click("signin_not_me", "demo-no", USERS["bob"])
    print("\nbob clicks “No, it was not me”: escalated at once")
    show(seen, "bob")

    seen = len(sink.delivered)
    clock.advance(minutes=16)
    result = app.pending_confirmations(scheduled_event(clock.now()), context)
    print(f"\ncarol says nothing; 16 minutes later the sweep runs: {result}")
    show(seen, "carol")
    print()


def _as_seen(request: Received, who: str) -> str:
    method = request.path.rsplit("/", 1)[-1]
    if request.path.startswith("/actions/"):
        return f"  (only {who} sees) {request.json.get('text', '')}"
    if method not in ("chat.postMessage", "chat.update"):
        return ""
    message: dict[str, Any] = dict(request.json)
    for name in ("blocks", "attachments"):
        if isinstance(message.get(name), str):  # slack_sdk form-encodes them as JSON
            import json

            message[name] = json.loads(message[name])
    dm = str(message.get("channel", "")).startswith("D")
    where = f"DM to {who}" if dm else "#alerts"
    verb = "updated" if method == "chat.update" else "new message"
    return f"  [{where}, {verb}]\n{render(message)}"
