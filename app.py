"""signin-alerts: AWS console sign-ins to Slack. This file only wires handlers."""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Cron, Rate, Response

from chalicelib.container import Container
from chalicelib.settings import check_stage_region
from chalicelib.signin.pattern import (
    ACCOUNT_CHANGE_PATTERN,
    SIGNIN_EVENT_PATTERN,
    AnyShapeEvent,
)

# Chalice imports this file with the stage's variables to deploy or package it, and
# Lambda at cold start: a stage in the wrong region stops here, before anything is built.
check_stage_region(os.environ)

app = Chalice(app_name="signin-alerts")
container = Container()


@app.on_cw_event(SIGNIN_EVENT_PATTERN, name="console_signin")
def console_signin(event: CloudWatchEvent) -> dict[str, Any]:
    return container.alerter.handle(
        event.to_dict(), deadline=container.invocation(event.context)
    ).to_dict()


@app.route(
    "/slack/recent-logins",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded"],
)
def recent_logins() -> Response:
    return container.recent_logins.handle(app.current_request)


# "Was this you?" buttons: the asked person's answer, handled before the route returns.
@app.route(
    "/slack/interactions",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded"],
)
def interactions() -> Response:
    return container.interactions.handle(app.current_request)


# The steps around a sign-in (password given or reset, MFA removed, root's keys, email
# and MFA, AssumeRoot): the same pipeline as a sign-in (docs/account-changes.md).
@app.on_cw_event(ACCOUNT_CHANGE_PATTERN, name="account_change")
def account_change(event: CloudWatchEvent) -> dict[str, Any]:
    return container.alerter.handle(
        event.to_dict(), deadline=container.invocation(event.context)
    ).to_dict()


# The App Home tab: Slack's Events API (app_home_opened), signed like the routes above.
@app.route("/slack/events", methods=["POST"], content_types=["application/json"])
def slack_events() -> Response:
    return container.slack_events.handle(app.current_request)


# EventBridge always sends its envelope, but replays and forwarders may not: let the
# parser see any shape rather than fail in Chalice's envelope reader first.
console_signin.event_class = AnyShapeEvent  # type: ignore[attr-defined]
account_change.event_class = AnyShapeEvent  # type: ignore[attr-defined]


# Every minute: the closing summary of a storm that stopped (sign-in events trigger
# summaries while it lasts; nothing would tell its end), and the alert of a root
# CheckMfa that no sign-in followed within ROOT_MFA_WAIT_MINUTES.
@app.schedule(Rate(1, unit=Rate.MINUTES), name="burst_summaries")
def burst_summaries(event: CloudWatchEvent) -> dict[str, int]:
    return container.minute_sweeps(deadline=container.invocation(event.context))


# Hourly: the digest posts once, in the hour DIGEST_HOUR_UTC names, so the hour can
# change without a deploy. Off unless DIGEST_ENABLED: a schedule is always deployed.
@app.schedule(Cron(5, "*", "*", "*", "?", "*"), name="daily_digest")
def daily_digest(event: CloudWatchEvent) -> dict[str, Any]:
    return {"digest": container.daily_digest(deadline=container.invocation(event.context))}


# Every minute: questions nobody answered in CONFIRM_WITHIN_MINUTES escalate, once.
@app.schedule(Rate(1, unit=Rate.MINUTES), name="pending_confirmations")
def pending_confirmations(event: CloudWatchEvent) -> dict[str, int]:
    return container.pending_confirmations(deadline=container.invocation(event.context))


# Hourly: is the pipeline still able to see and deliver sign-ins? Posts only changes;
# raises when Slack itself is unusable, so the Errors alarm e-mails the operator.
@app.schedule(Rate(1, unit=Rate.HOURS), name="watchdog")
def watchdog(event: CloudWatchEvent) -> dict[str, Any]:
    return container.watchdog(event.context, deadline=container.invocation(event.context))
