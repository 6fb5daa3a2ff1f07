"""GIVEN `chalice local` serving the app against a moto server WHEN Slack's signed POST
arrives over real HTTP THEN the reply lists the ledger's sign-ins; an unsigned one is 401.

Nothing is mocked in the app's process: it reads its stage's configuration from
.chalice/config.json (the signing secret from SSM, as deployed), and every AWS call goes
to the moto server through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.slack.verify import sign
from chalicelib.store.ledger import Ledger
from chalicelib.store.provision import create_ledger_table
from localdev.signins import Login

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGE = "dev-us-east-1"
STAGE_ENV = {**CONFIG["environment_variables"], **CONFIG["stages"][STAGE]["environment_variables"]}
SECRET = "e2e-signing-secret-0123456789abcdef"
TEAM = "T0E2E"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def aws_client(service: str, endpoint: str) -> Any:
    session = boto3.session.Session()
    return session.client(service, region_name="us-east-1", endpoint_url=endpoint)  # type: ignore[call-overload]


@pytest.fixture
def chalice_local(moto_endpoint: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SLACK_TEAM_ID": TEAM,  # not in the stage's config, so the process env applies
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("AWS_PROFILE", None)
    log = (tmp_path / "chalice-local.log").open("w")
    chalice = Path(sys.executable).with_name("chalice")
    process = subprocess.Popen(
        [str(chalice), "local", "--no-autoreload", "--port", str(port), "--stage", STAGE],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(
                        "chalice local did not start:\n"
                        + (tmp_path / "chalice-local.log").read_text()
                    ) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url + "/slack/recent-logins",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_signed_slash_command_over_http_lists_the_ledger(
    moto_endpoint: str, chalice_local: str
) -> None:
    # What `manage.py provision` and the operator's SSM set-up leave behind.
    dynamodb = aws_client("dynamodb", moto_endpoint)
    create_ledger_table(dynamodb, STAGE_ENV["LEDGER_TABLE"], poll_seconds=0)
    aws_client("ssm", moto_endpoint).put_parameter(
        Name=STAGE_ENV["SLACK_SIGNING_SECRET_PARAM"], Value=SECRET, Type="SecureString"
    )
    now = datetime.now(UTC)
    ledger = Ledger(dynamodb, STAGE_ENV["LEDGER_TABLE"], clock=lambda: now)
    for login in (
        Login("e2e-1", now - timedelta(minutes=3), name="e2e-alice"),
        Login("e2e-2", now - timedelta(hours=2), kind="Root", success=False),
    ):
        signin = parse_signin(login.record(), received_at=now)
        ledger.record(signin, evaluate(signin, Settings()))
    body = urlencode(
        {"team_id": TEAM, "user_id": "U0E2E", "channel_id": "C0E2E", "text": "5 since 24h"}
    ).encode()
    stamp = int(time.time())

    status, reply = post(
        chalice_local,
        body,
        {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": sign(SECRET, stamp, body)},
    )

    assert status == 200, reply
    message = json.loads(reply)
    assert message["response_type"] == "ephemeral"
    text = json.dumps(message)
    assert "2 of 2 sign-ins in the last 24 hours: 1 failed, 1 root, 0 without MFA" in text
    assert "e2e-alice" in text

    forged, _ = post(
        chalice_local,
        body,
        {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": sign("guess", stamp, body)},
    )
    assert forged == 401
