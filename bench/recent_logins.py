"""How fast `/recent-logins` answers, and how many DynamoDB calls it makes, with 1,000
and with 100,000 sign-ins in the ledger (spread over 90 days), in one run.

    .venv/bin/python -m bench.recent_logins [--sizes 1000 100000] [--repeat 5]

The ledger lives on a moto server on 127.0.0.1 (real HTTP, like DynamoDB), loaded with
BatchWriteItem. Each command goes through the real handler: signature verification,
authorisation, parsing, the ledger queries and the Block Kit reply. The DynamoDB calls
are counted with a botocore event hook on the handler's own client.

moto answers every Query by looking at every item of the table, where DynamoDB reads
only the partition asked for; so by default the bench also gives moto a per-partition
lookup (`--emulator partitioned`, see `partition_queries`) to show the design's own
scaling. `--emulator moto` measures moto as shipped.

Targets (issue 3): no more calls at 100,000 than at 1,000; time at 100,000 within 1.5
times that at 1,000; well under Slack's 3 seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3

from chalicelib.container import Container
from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.slack.verify import sign
from chalicelib.store.ledger import Ledger
from chalicelib.store.listing import categories_of, counter_names, is_listed
from chalicelib.store.provision import create_ledger_table
from chalicelib.store.schema import TTL_ATTRIBUTE, day_counter_key, day_of
from localdev.signins import spread

SECRET = "bench-signing-secret"
TEAM = "T0BENCH"
COMMANDS = (
    "",
    "50",
    "failed",
    "root since 90d",
    "nomfa 20",
    "alice",
    "account 444455556666 since 30d",
    "root failed since 90d",
    "bob failed since 24h",
    "since 30m",
    "nobody-at-all since 90d",
)


@dataclass(frozen=True)
class Measure:
    command: str
    calls: int
    median_ms: float
    max_ms: float
    entries: str
    status: int


class Request:
    """What Chalice hands the route: the raw body Slack signed, and the headers."""

    def __init__(self, text: str) -> None:
        self.raw_body = urlencode(
            {"team_id": TEAM, "user_id": "U0BENCH", "channel_id": "C0BENCH", "text": text}
        ).encode()
        stamp = int(time.time())
        self.headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": sign(SECRET, stamp, self.raw_body),
        }


def load(endpoint: str, table: str, count: int, now: datetime) -> float:
    """Write `count` sign-ins and their day counters as `Ledger.record` would."""
    client: Any = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint)
    create_ledger_table(client, table, poll_seconds=0)
    ledger = Ledger(client, table, clock=lambda: now)
    settings = Settings()
    items: list[dict[str, Any]] = []
    counters: dict[str, Counter[str]] = {}
    for login in spread(count, days=90, now=now):
        signin = parse_signin(login.record(), received_at=now)
        items.append(ledger.item_for(signin, evaluate(signin, settings)))
        if is_listed(signin):
            tally = counters.setdefault(day_of(signin.event_time), Counter())
            tally.update(counter_names(categories_of(signin)))
    expires = str(int((now + timedelta(days=92)).timestamp()))
    for day, counts in counters.items():
        item = {**day_counter_key(day), TTL_ATTRIBUTE: {"N": expires}}
        item.update({name: {"N": str(value)} for name, value in counts.items()})
        items.append(item)
    started = time.monotonic()
    chunks = [items[start : start + 25] for start in range(0, len(items), 25)]

    def write(chunk: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in chunk]
        while requests:
            response = client.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, chunks))
    return time.monotonic() - started


def measure(table: str, repeat: int) -> list[Measure]:
    container = Container(
        {
            "LEDGER_TABLE": table,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_TEAM_ID": TEAM,
        }
    )
    calls: list[str] = []
    container.slash_dynamodb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    handler = container.recent_logins
    for command in COMMANDS:  # warm: clients built, connections open, caches filled
        handler.handle(Request(command))
    results = []
    for command in COMMANDS:
        times = []
        counted: set[int] = set()
        entries = ""
        status = 0
        for _ in range(repeat):
            calls.clear()
            request = Request(command)
            started = time.perf_counter()
            response = handler.handle(request)
            times.append((time.perf_counter() - started) * 1000)
            counted.add(len(calls))
            status = response.status_code
            entries = str(_entries(response.body))
        results.append(
            Measure(
                command or "(none)",
                max(counted),
                statistics.median(times),
                max(times),
                entries,
                status,
            )
        )
    return results


def table_lines(sizes: list[int], results: dict[int, list[Measure]]) -> list[str]:
    small, large = sizes[0], sizes[-1]
    header = (
        f"{'command':<32} {'entries':>7} "
        + " ".join(f"{f'calls@{size:,}':>13}" for size in sizes)
        + " "
        + " ".join(f"{f'ms@{size:,}':>11}" for size in sizes)
        + f" {'ratio':>6} {'worst ms':>9}"
    )
    lines = [header, "-" * len(header)]
    verdicts = []
    for index, command in enumerate(COMMANDS):
        row = {size: results[size][index] for size in sizes}
        ratio = row[large].median_ms / row[small].median_ms
        worst = max(measure.max_ms for measure in row.values())
        lines.append(
            f"{row[small].command:<32} {row[large].entries:>7} "
            + " ".join(f"{row[size].calls:>13}" for size in sizes)
            + " "
            + " ".join(f"{row[size].median_ms:>11.1f}" for size in sizes)
            + f" {ratio:>6.2f} {worst:>9.1f}"
        )
        # With no match at all in the small ledger its counters spare the Query: that
        # row shows emptiness, not growth, and is marked rather than counted.
        no_match = row[small].entries == "0" and row[large].entries != "0"
        if no_match:
            lines[-1] += "  *"
        calls_ok = row[large].calls <= row[small].calls or no_match
        verdicts.append((calls_ok, ratio <= 1.5, worst < 3000, command))
    calls_ok = all(ok for ok, _, _, _ in verdicts)
    ratio_ok = all(ok for _, ok, _, _ in verdicts)
    time_ok = all(ok for _, _, ok, _ in verdicts)
    lines.append("")
    if any(line.endswith("*") for line in lines):
        lines.append(f"* no match in the {small:,} ledger, so no Query was needed there")
    lines.append(f"no more calls at {large:,} than at {small:,}: {'yes' if calls_ok else 'NO'}")
    lines.append(
        f"median time at {large:,} within 1.5x of {small:,}: {'yes' if ratio_ok else 'NO'}"
    )
    lines.append(f"every reply under 3 s: {'yes' if time_ok else 'NO'}")
    return lines


def _entries(body: Any) -> int:
    """Sign-ins listed in a reply: entry lines start with a date token."""
    if not isinstance(body, str):
        return 0
    reply = json.loads(body)
    return sum(
        line.startswith("<!date^")
        for block in reply.get("blocks", [])
        if block["type"] == "section"
        for line in block["text"]["text"].split("\n")
    )


def start_emulator(partitioned: bool) -> tuple[subprocess.Popen[bytes], str]:
    """A moto server in its own process, as DynamoDB is another machine: the bench's
    own work (signing, parsing, Block Kit) does not share a GIL with the emulator."""
    port = free_port()
    command = [sys.executable, "-m", "bench.emulator", "--port", str(port)]
    if partitioned:
        command.append("--partitioned")
    log, log_path = tempfile.mkstemp(prefix="bench-emulator-", suffix=".log")
    print(f"emulator log: {log_path}", file=sys.stderr)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    os.close(log)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the moto server did not start") from None
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--emulator", choices=["partitioned", "moto"], default="partitioned")
    args = parser.parse_args(argv)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    logging.getLogger("signin_alerts").disabled = True  # the handler's own log line
    process, endpoint = start_emulator(args.emulator == "partitioned")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    now = datetime.now(UTC)
    results: dict[int, list[Measure]] = {}
    try:
        for size in args.sizes:
            seconds = load(endpoint, f"bench-ledger-{size}", size, now)
            print(f"loaded {size:,} sign-ins in {seconds:.1f} s", file=sys.stderr)
        for size in args.sizes:
            results[size] = measure(f"bench-ledger-{size}", args.repeat)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(
        f"/recent-logins against a moto server ({args.emulator}), {args.repeat} runs each; "
        "ms = median reply time in the handler, calls = DynamoDB calls per command"
    )
    print("\n".join(table_lines(args.sizes, results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
