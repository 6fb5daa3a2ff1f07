"""GIVEN a fresh checkout WHEN `manage.py demo` runs THEN it shows the main job offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_replays_samples_and_shows_slack(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "demo", "--picture", str(tmp_path / "week.png")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = result.stdout
    assert "CRITICAL: Root console sign-in succeeded: root user, result success, MFA no" in out
    assert "HIGH: IAM user console sign-in without MFA: IAM user Mary_Major" in out
    assert "posted after 2 attempts" in out
    assert "not posted: CheckMfa is recorded, not alerted" in out
    assert "duplicate" in out
    # The account-change part: a password reset by someone else, then its user signs in.
    assert "HIGH: Console password of IAM user bob reset: role IAM, session alice" in out
    assert "HIGH: Possible takeover: Console sign-in succeeded: IAM user bob" in out
    assert "6 events in (5 distinct), 4 Slack messages" in out
    assert "5 sign-ins in the ledger" in out
    # The history, through the real slash-command route with a signed request:
    assert "4 of 4 sign-ins in the last 7 days: 1 failed, 1 root, 2 without MFA" in out
    # The week at a glance: the digest's picture, written where the demo says.
    assert "The digest's picture" in out and f"is in {tmp_path / 'week.png'}" in out
    assert (tmp_path / "week.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Someone opens the app's Home tab" in out
    # The newcomer's first run shows no message Slack refused or the app gave up on.
    assert "delivery failed" not in out + result.stderr
    assert "rate_limited" not in out + result.stderr
