"""GIVEN a fresh Python process (a Lambda cold start) WHEN it imports app.py and handles
a sign-in THEN Pillow is not loaded: only drawing the picture (the digest, the App Home)
imports it, so the sign-in handler's cold start does not grow (bench/cold_start.py);
nor are the picture's, the Home tab's, or the other handlers' own modules (the slash
command, the buttons, the digest, the sweeps, the watchdog) loaded before they are
needed; nor slack_sdk, when Slack is a webhook (its import is the Web API client's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import boto3
    from moto import mock_aws
    from localdev.slack_sink import SlackSink

    with mock_aws(), SlackSink() as sink:
        import os
        os.environ["SLACK_WEBHOOK_URL"] = sink.webhook_url
        from chalicelib.store.provision import create_ledger_table
        create_ledger_table(boto3.client("dynamodb", region_name="us-east-1"), "t")
        import app
        drawing = ("PIL", "chalicelib.picture", "chalicelib.home", "chalicelib.recent_logins",
                   "chalicelib.confirm.answers", "chalicelib.confirm.sweep",
                   "chalicelib.alerting.digest", "chalicelib.alerting.root_mfa_sweep",
                   "chalicelib.watchdog", "chalicelib.slack.verify", "slack_sdk")
        seen = [any(name.startswith(drawing) for name in sys.modules)]
        from chalice.local import LambdaContext
        event = json.load(open("tests/events/root_success_no_mfa.json"))
        result = app.console_signin(event, LambdaContext("console_signin", 256, 60000))
        seen.append(result["outcome"] == "posted")
        seen.append(any(name.startswith(drawing) for name in sys.modules))
        from datetime import date
        from chalicelib.picture.digest_picture import render
        from chalicelib.picture.week import week_grid
        render(week_grid(date(2026, 12, 6), "UTC", {}))
        seen.append("PIL" in sys.modules)
        print(json.dumps(seen))
    """
)


def test_a_signin_cold_start_never_imports_pillow() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEDGER_TABLE": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported_by_app, posted, imported_by_signin, imported_by_drawing = json.loads(
        done.stdout.strip().splitlines()[-1]
    )
    assert posted
    assert (imported_by_app, imported_by_signin) == (False, False)
    assert imported_by_drawing  # the check can see Pillow when it is loaded
