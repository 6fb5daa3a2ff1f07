"""Per-event CPU time of parse + rules + format (no I/O), over every fixture record.

Run: .venv/bin/python -m bench.pipeline     Target: under 0.5 ms per event.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.slack.alert_message import build_message

RECORDS = Path(__file__).resolve().parent.parent / "tests" / "events" / "signin-records.jsonl"


def main(rounds: int = 50) -> dict[str, float]:
    events = [json.loads(line)["payload"] for line in RECORDS.read_text().splitlines()]
    settings = Settings.from_env(
        {
            "WATCH_PRINCIPALS": "arn:aws:iam::*:user/breakglass*",
            "IGNORE_PRINCIPALS": "arn:aws:sts::*:assumed-role/ReadOnly*/*",
            "TRUSTED_CIDRS": "203.0.113.0/24",
            "DISPLAY_TIMEZONE": "Asia/Seoul",
        }
    )
    now = datetime.now(UTC)
    per_round = []
    for _ in range(rounds):
        started = time.perf_counter()
        for event in events:
            signin = parse_signin(event, received_at=now)
            build_message(signin, evaluate(signin, settings), settings)
        per_round.append((time.perf_counter() - started) / len(events))
    figures = {
        "events": float(len(events)),
        "median_ms": statistics.median(per_round) * 1000,
        "p95_ms": sorted(per_round)[int(len(per_round) * 0.95)] * 1000,
    }
    print(
        f"pipeline (parse+rules+format), {len(events)} fixture events x {rounds} rounds: "
        f"median {figures['median_ms']:.3f} ms/event, p95 {figures['p95_ms']:.3f} ms/event "
        f"(target < 0.5 ms)"
    )
    return figures


if __name__ == "__main__":
    main()
