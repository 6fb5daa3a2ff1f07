"""Cold start, each in a fresh Python process, measured in one run:

- import of `app` alone, beside import of boto3 alone (target: app is cheaper, because
  clients are built once per container, when first needed);
- the whole cold path: import `app`, handle one sign-in, write the ledger on the local
  AWS emulator and post to the local Slack sink; beside a minimal webhook forwarder that
  imports boto3 at the top and does the same two writes.

The app is measured as the package ships it: with its bytecode (tools/bytecode.py), which
`manage.py package` and `deploy` write before Chalice zips the project, so no module is
compiled at cold start (Lambda cannot write pycs; this machine's PYTHONDONTWRITEBYTECODE
would not either).

Run: .venv/bin/python -m bench.cold_start
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localdev.aws import LocalAws
from localdev.slack_sink import SlackSink
from tools.bytecode import compile_app
from tools.provision import provision

ROOT = Path(__file__).resolve().parent.parent
EVENT = ROOT / "tests" / "events" / "root_success_no_mfa.json"
TABLE = "signin-alerts-bench"

IMPORT_APP = "import app"
IMPORT_BOTO3 = "import boto3"
# The context is a plain object with what Lambda's runtime gives the handler (the runtime
# has it loaded before the cold start), not chalice.local's, whose import (Chalice's local
# dev server: http.server, socketserver) is no part of a Lambda cold start.
COLD_APP = textwrap.dedent(
    f"""
    import json, time, uuid, app
    class Context:
        function_name, memory_limit_in_mb, invoked_function_arn = "console_signin", 256, ""
        aws_request_id = uuid.uuid4().hex
        deadline = time.monotonic() + 60
        def get_remaining_time_in_millis(self):
            return int((self.deadline - time.monotonic()) * 1000)
    event = json.load(open({str(EVENT)!r}))
    event["detail"]["eventID"] = uuid.uuid4().hex
    result = app.console_signin(event, Context())
    assert result["outcome"] == "posted", result
    """
)
# What peer tools look like: boto3 at the top, one put, one webhook post, no retries.
COLD_NAIVE = textwrap.dedent(
    f"""
    import boto3, json, os, urllib.request, uuid
    event = json.load(open({str(EVENT)!r}))
    detail = event["detail"]
    boto3.client("dynamodb").put_item(TableName={TABLE!r}, Item={{
        "pk": {{"S": "EVENT#" + uuid.uuid4().hex}}, "sk": {{"S": "EVENT"}},
        "who": {{"S": str(detail["userIdentity"].get("arn"))}}}})
    body = json.dumps({{"text": "Console login: " + str(detail["userIdentity"].get("arn"))}})
    request = urllib.request.Request(os.environ["SLACK_WEBHOOK_URL"], body.encode(),
                                     {{"Content-Type": "application/json"}})
    urllib.request.urlopen(request, timeout=5).read()
    """
)


def timed(code: str, env: dict[str, str], runs: int, cwd: Path = ROOT) -> list[float]:
    """Wall time of `python -c code` in a fresh process, minus an empty interpreter's."""
    wrapper = "import time; _t = time.perf_counter()\n" + code + "\nprint(time.perf_counter() - _t)"
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", wrapper],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]) * 1000)
    return samples


@contextmanager
def emulated() -> Iterator[tuple[dict[str, str], SlackSink]]:
    """The environment a cold run sees: the ledger on the local emulator, Slack the sink."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with LocalAws() as aws, SlackSink() as sink:
        env = {
            **base_env,
            **aws.env,
            "LEDGER_TABLE": TABLE,
            "SLACK_WEBHOOK_URL": sink.webhook_url,
            # Back-to-back runs post to one channel: at the default 1.1 s pacing a run
            # would wait for the previous run's send slot, which is not a cold start.
            "SLACK_MIN_INTERVAL_SECONDS": "0.001",
        }
        os.environ.update(aws.env)
        provision(TABLE)
        yield env, sink


def main(runs: int = 7) -> dict[str, float]:
    with emulated() as (env, sink):
        compile_app(ROOT)  # as `manage.py package` does before zipping
        figures = {
            "import_app_ms": statistics.median(timed(IMPORT_APP, env, runs)),
            "import_boto3_ms": statistics.median(timed(IMPORT_BOTO3, env, runs)),
            "cold_app_ms": statistics.median(timed(COLD_APP, env, runs)),
            "cold_naive_ms": statistics.median(timed(COLD_NAIVE, env, runs)),
        }
        assert len(sink.messages) == 2 * runs, "every cold run must have posted"
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    print(
        f"import app {figures['import_app_ms']:.0f} ms vs import boto3 "
        f"{figures['import_boto3_ms']:.0f} ms (ratio "
        f"{figures['import_app_ms'] / figures['import_boto3_ms']:.2f}); "
        f"cold path: app {figures['cold_app_ms']:.0f} ms vs naive forwarder "
        f"{figures['cold_naive_ms']:.0f} ms (ratio "
        f"{figures['cold_app_ms'] / figures['cold_naive_ms']:.2f}); median of {runs} "
        "fresh processes each"
    )
    return figures


if __name__ == "__main__":
    main()
