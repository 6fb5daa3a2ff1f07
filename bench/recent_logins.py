"""How fast `/recent-logins` answers, and how many DynamoDB calls it makes, with 1,000
and with 100,000 sign-ins in the ledger (spread over 90 days), in one run.

    .venv/bin/python -m bench.recent_logins [--sizes 1000 100000] [--repeat 20]

The ledger lives on a moto server on 127.0.0.1 (real HTTP, like DynamoDB), loaded with
BatchWriteItem. Each command goes through the real handler: signature verification,
authorisation, parsing, the ledger queries and the Block Kit reply. The DynamoDB calls
are counted with a botocore event hook on the handler's own client.

moto answers every Query by looking at every item of the table, where DynamoDB reads
only the partition asked for; so by default the bench also gives moto a per-partition
lookup (`--emulator partitioned`, see `partition_queries`) to show the design's own
scaling. `--emulator moto` measures moto as shipped.

Targets (issue 10): every command at most 5 calls, and never more at 100,000 than at
1,000; the 95th percentile reply at 100,000 at most 300 ms, and within 1.5 times that
at 1,000; every answer whole.

`--organization` (issue 17): an organization of 500 accounts and 50,000 principals,
with 1,000 and 1,000,000 sign-ins over 90 days (`--sizes` to change), on
`bench.org_emulator`: DynamoDB's JSON protocol over HTTP on 127.0.0.1, answered from
a compact model of the ledger's items and indexes, with a latency model (`--call-ms`
per call plus `--ms-per-mb` per MB returned). Calls are counted exactly; times are
the real handler's, botocore's and HTTP's, plus the modelled DynamoDB time. Building
the 1,000,000 takes a few minutes on 2 cores.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import boto3

from chalicelib.container import Container
from chalicelib.recent_logins.replies import unavailable_reply
from chalicelib.slack.verify import sign
from chalicelib.store.provision import create_ledger_table
from localdev.bulk_ledger import bulk_write, ledger_items
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
    "alice account 111122223333 failed",
    "carol nomfa since 30d",
)
# What an organization adds: a person with sessions in many accounts, a member
# account by number with a category, a name part many IAM users share, a name part of
# ten people (a hundred principals: more names than calls), with a rare category too.
ORGANIZATION_COMMANDS = (
    "person00042",
    "account 200000000042 failed since 90d",
    "svc-01 since 30d",
    "person0042 since 7d",
    "person0042 failed since 90d",
)
MAX_CALLS = 5
MAX_P95_MS = 300.0
MAX_RATIO = 1.5


@dataclass(frozen=True)
class Measure:
    command: str
    calls: int
    median_ms: float
    p95_ms: float
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
    """Write `count` sign-ins, their day counters and directory items as `Ledger.record`
    would, with BatchWriteItem."""
    client: Any = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=endpoint)
    create_ledger_table(client, table, poll_seconds=0)
    items = ledger_items(spread(count, days=90, now=now), now=now, table=table)
    started = time.monotonic()
    bulk_write(client, table, items)
    return time.monotonic() - started


class Handler:
    """The real handler on one table, with the DynamoDB calls it makes counted."""

    def __init__(self, table: str) -> None:
        container = Container(
            {"LEDGER_TABLE": table, "SLACK_SIGNING_SECRET": SECRET, "SLACK_TEAM_ID": TEAM}
        )
        self.calls: list[str] = []
        container.slash_dynamodb.meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: self.calls.append(model.name)
        )
        self.handle = container.recent_logins.handle


def measure(
    tables: dict[int, str], repeat: int, commands: tuple[str, ...] = COMMANDS
) -> dict[int, list[Measure]]:
    """Each command `repeat` times on every table, taking turns, so that a busy moment
    of the (shared) machine falls on every size alike."""
    handlers = {size: Handler(table) for size, table in tables.items()}
    for handler in handlers.values():
        warm(handler, commands)
    results: dict[int, list[Measure]] = {size: [] for size in tables}
    for command in commands:
        times: dict[int, list[float]] = {size: [] for size in tables}
        counted: dict[int, set[int]] = {size: set() for size in tables}
        replies: dict[int, Any] = {}
        for _ in range(repeat):
            for size, handler in handlers.items():
                handler.calls.clear()
                request = Request(command)
                started = time.perf_counter()
                replies[size] = handler.handle(request)
                times[size].append((time.perf_counter() - started) * 1000)
                counted[size].add(len(handler.calls))
        for size in tables:
            results[size].append(
                Measure(
                    command or "(none)",
                    max(counted[size]),
                    statistics.median(times[size]),
                    _p95(times[size]),
                    str(_entries(replies[size].body)),
                    replies[size].status_code,
                )
            )
    return results


def warm(handler: Handler, commands: tuple[str, ...] = COMMANDS, rounds: int = 5) -> None:
    """Every command until each is answered from the ledger: clients, connections and
    the emulator's per-index lookups (built on an index's first Query, which on
    100,000 items takes longer than the handler waits, so that first answer is "could
    not be read", and the lookup would otherwise be built inside the measured runs)."""
    unavailable = json.dumps(unavailable_reply(), ensure_ascii=False)
    for _ in range(rounds):
        replies = [handler.handle(Request(command)).body for command in commands]
        if unavailable not in replies:
            return
    raise RuntimeError("the emulator still does not answer in time after warming")


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def table_lines(
    sizes: list[int], results: dict[int, list[Measure]], commands: tuple[str, ...] = COMMANDS
) -> list[str]:
    small, large = sizes[0], sizes[-1]
    header = (
        f"{'command':<36} "
        + " ".join(f"{f'listed@{size:,}':>14}" for size in sizes)
        + " "
        + " ".join(f"{f'calls@{size:,}':>13}" for size in sizes)
        + " "
        + " ".join(f"{f'p95 ms@{size:,}':>14}" for size in sizes)
        + f" {'ratio':>6}"
    )
    lines = [header, "-" * len(header)]
    calls_ok = bound_ok = p95_ok = ratio_ok = True
    for index, _ in enumerate(commands):
        row = {size: results[size][index] for size in sizes}
        ratio = row[large].p95_ms / row[small].p95_ms
        lines.append(
            f"{row[small].command:<36} "
            + " ".join(f"{row[size].entries:>14}" for size in sizes)
            + " "
            + " ".join(f"{row[size].calls:>13}" for size in sizes)
            + " "
            + " ".join(f"{row[size].p95_ms:>14.1f}" for size in sizes)
            + f" {ratio:>6.2f}"
        )
        calls_ok &= row[large].calls <= row[small].calls
        bound_ok &= all(measure.calls <= MAX_CALLS for measure in row.values())
        p95_ok &= row[large].p95_ms <= MAX_P95_MS
        ratio_ok &= ratio <= MAX_RATIO
    lines.append("")
    lines.append(f"no more calls at {large:,} than at {small:,}: {'yes' if calls_ok else 'NO'}")
    lines.append(f"at most {MAX_CALLS} calls per command: {'yes' if bound_ok else 'NO'}")
    lines.append(f"p95 at {large:,} at most {MAX_P95_MS:.0f} ms: {'yes' if p95_ok else 'NO'}")
    lines.append(
        f"p95 at {large:,} within {MAX_RATIO}x of {small:,}: {'yes' if ratio_ok else 'NO'}"
    )
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


def organization_main(args: argparse.Namespace) -> int:
    sizes = args.sizes if args.sizes != [1_000, 100_000] else [1_000, 1_000_000]
    _bench_environment()
    now = datetime.now(UTC)
    port = free_port()
    command = [
        sys.executable,
        *("-m", "bench.org_emulator", "--port", str(port), "--now", str(now.timestamp())),
        *("--call-ms", str(args.call_ms), "--ms-per-mb", str(args.ms_per_mb)),
        "--sizes",
        *(str(size) for size in sizes),
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            print(line.rstrip(), file=sys.stderr)
            if line.startswith("ready"):
                break
        else:
            raise RuntimeError("the organization emulator stopped before it was ready")
        print(f"built in {time.monotonic() - started:.0f} s", file=sys.stderr)
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
        commands = COMMANDS + ORGANIZATION_COMMANDS
        results = measure({size: f"bench-org-{size}" for size in sizes}, args.repeat, commands)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(
        f"/recent-logins in an organization of 500 accounts and 50,000 principals, on "
        f"bench.org_emulator (latency model: {args.call_ms:g} ms a call + "
        f"{args.ms_per_mb:g} ms per MB returned), {args.repeat} runs each; p95 ms = 95th "
        "percentile reply time in the handler, calls = DynamoDB calls per command"
    )
    print("\n".join(table_lines(sizes, results, commands)))
    return 0


def _bench_environment() -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    logging.getLogger("signin_alerts").disabled = True  # the handler's own log line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--emulator", choices=["partitioned", "moto"], default="partitioned")
    parser.add_argument("--organization", action="store_true", help="500 accounts, 1M sign-ins")
    parser.add_argument("--call-ms", type=float, default=5.0)
    parser.add_argument("--ms-per-mb", type=float, default=13.0)
    args = parser.parse_args(argv)
    if args.organization:
        return organization_main(args)
    _bench_environment()
    process, endpoint = start_emulator(args.emulator == "partitioned")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    now = datetime.now(UTC)
    try:
        for size in args.sizes:
            seconds = load(endpoint, f"bench-ledger-{size}", size, now)
            print(f"loaded {size:,} sign-ins in {seconds:.1f} s", file=sys.stderr)
        results = measure({size: f"bench-ledger-{size}" for size in args.sizes}, args.repeat)
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(
        f"/recent-logins against a moto server ({args.emulator}), {args.repeat} runs each; "
        "p95 ms = 95th percentile reply time in the handler, calls = DynamoDB calls per "
        "command"
    )
    print("\n".join(table_lines(args.sizes, results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
