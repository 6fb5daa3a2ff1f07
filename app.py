"""signin-alerts: AWS console sign-ins to Slack. This file only wires handlers."""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Chalice, CloudWatchEvent

from chalicelib.container import Container, deadline_from
from chalicelib.events import SIGNIN_EVENT_PATTERN, AnyShapeEvent
from chalicelib.settings import check_stage_region

# Chalice imports this file with the stage's variables to deploy or package it, and
# Lambda at cold start: a stage in the wrong region stops here, before anything is built.
check_stage_region(os.environ)

app = Chalice(app_name="signin-alerts")
container = Container()


@app.on_cw_event(SIGNIN_EVENT_PATTERN, name="console_signin")
def console_signin(event: CloudWatchEvent) -> dict[str, Any]:
    return container.alerter.handle(
        event.to_dict(), deadline=deadline_from(event.context)
    ).to_dict()


# EventBridge always sends its envelope, but replays and forwarders may not: let the
# parser see any shape rather than fail in Chalice's envelope reader first.
console_signin.event_class = AnyShapeEvent  # type: ignore[attr-defined]
