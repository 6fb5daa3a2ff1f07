"""How long a handler takes, in real time, when an AWS endpoint hangs: the sign-in
handler must raise before its Lambda deadline (Chalice's test client gives 3 s), and
`/recent-logins` must answer within Slack's 3 s. The tests assert why each stops (the
deadline's guard); this measures when, on this machine.

    .venv/bin/python -m bench.deadlines
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import boto3
from chalice.test import Client
from moto import mock_aws

import app as app_module
from chalicelib.container import Container
from chalicelib.slack.verify import sign
from chalicelib.store.provision import create_ledger_table
from localdev.dead_endpoints import SilentServer
from localdev.events import console_login

ROUNDS = 5
BUDGET_SECONDS = 3.0
SECRET = "bench-signing-secret"
TEAM = "T0BENCH"


def signin(client: Client) -> None:
    event = console_login(f"bench-{time.monotonic_ns()}", datetime.now(UTC), success=True)
    with contextlib.suppress(Exception):  # it raises for Lambda's retry: the point
        client.lambda_.invoke("console_signin", event)


def slash(client: Client) -> None:
    body = urlencode({"team_id": TEAM, "user_id": "U0BENCH", "text": "failed"}).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(SECRET, stamp, body),
    }
    client.http.post("/slack/recent-logins", headers=headers, body=body)


def measure(service: str, handler: Callable[[Client], None]) -> list[float]:
    server = SilentServer()
    os.environ[f"AWS_ENDPOINT_URL_{service.upper()}"] = server.url
    env: dict[str, Any] = {
        "LEDGER_TABLE": "bench",
        "SLACK_WEBHOOK_URL": "http://127.0.0.1:9/services/T/B/X",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_TEAM_ID": TEAM,
    }
    if service == "ssm":
        env.update(SLACK_WEBHOOK_URL="", SLACK_WEBHOOK_URL_PARAM="/bench/webhook")
    times = []
    try:
        for _ in range(ROUNDS):
            app_module.container = Container(env)
            with Client(app_module.app, stage_name="dev-us-east-1") as client:
                started = time.monotonic()
                handler(client)
                times.append(time.monotonic() - started)
    finally:
        del os.environ[f"AWS_ENDPOINT_URL_{service.upper()}"]
        server.close()
    return times


def main() -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with mock_aws():
        create_ledger_table(boto3.client("dynamodb"), "bench")
        for what, service, handler in (
            ("sign-in handler, DynamoDB hangs", "dynamodb", signin),
            ("sign-in handler, SSM hangs", "ssm", signin),
            ("/recent-logins, DynamoDB hangs", "dynamodb", slash),
        ):
            times = measure(service, handler)
            print(
                f"{what}: median {statistics.median(times):.2f} s, "
                f"worst {max(times):.2f} s of {ROUNDS} (budget {BUDGET_SECONDS:.1f} s)"
            )


if __name__ == "__main__":
    main()
