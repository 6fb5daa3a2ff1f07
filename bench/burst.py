"""A brute-force storm against a Slack channel that takes one message a second.

1,000 failed sign-ins for one principal arrive within 60 seconds (real time, spread
evenly), handled by 4 concurrent "Lambda instances" (threads, each with its own
Container, all sharing one moto DynamoDB) and posted to a local Slack sink that answers
429 beyond one message a second. Beside it, in the same run, the naive forwarder posts
one message per event to its own rate-limited sink.

    .venv/bin/python -m bench.burst [--events 1000] [--seconds 60] [--workers 4]
                                    [--transport webhook|webapi] [--sweep-after 61]
"""

from __future__ import annotations

import argparse
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.naive import forward
from localdev.atomic_moto import atomic_moto
from localdev.events import console_login
from localdev.slack_sink import RateLimit, SlackSink

TABLE = "signin-alerts-bench"
IPS = ("203.0.113.7", "198.51.100.23", "192.0.2.140")


@dataclass
class Run:
    name: str
    sink: SlackSink
    first_event_at: float = 0.0
    handled: int = 0
    errors: list[str] = field(default_factory=list)
    ledger_records: int | None = None
    elapsed: float = 0.0
    sweep: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # DynamoDB calls by operation

    def first_message_after(self) -> float | None:
        delivered = self.sink.delivered
        if not delivered or not self.first_event_at:
            return None
        return min(request.at for request in delivered) - self.first_event_at


def storm(count: int, seconds: float) -> list[tuple[float, dict[str, Any]]]:
    """(offset in seconds, event): one principal, a few IPs, evenly within `seconds`."""
    start = datetime.now(UTC)
    step = seconds / count
    return [
        (
            n * step,
            console_login(
                f"bench-{n:05d}",
                start + timedelta(seconds=n * step),
                user="alice",
                ip=IPS[n % len(IPS)],
            ),
        )
        for n in range(count)
    ]


def replay(
    events: list[tuple[float, dict[str, Any]]],
    workers: int,
    handle: Callable[[int, dict[str, Any]], None],
    run: Run,
) -> None:
    """Deliver each event at its offset to whichever worker is free."""
    inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
    lock = threading.Lock()

    def work(worker: int) -> None:
        while (event := inbox.get()) is not None:
            try:
                handle(worker, event)
            except Exception as error:  # counted: a Lambda failure (it would retry)
                with lock:
                    run.errors.append(f"{type(error).__name__}: {error}"[:200])
            with lock:
                run.handled += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    start = time.monotonic()
    run.first_event_at = start
    for offset, event in events:
        delay = start + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        inbox.put(event)
    for _ in threads:
        inbox.put(None)
    for thread in threads:
        thread.join()
    run.elapsed = time.monotonic() - start


def ours(
    events: list[tuple[float, dict[str, Any]]], workers: int, transport: str, sweep_after: float
) -> Run:
    from chalicelib.container import Container

    sink = SlackSink(rate_limit=RateLimit(per_second=1, burst=1)).start()
    env = {"LEDGER_TABLE": TABLE, "SLACK_TIMEOUT_SECONDS": "2"}
    if transport == "webapi":
        env |= {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_CHANNEL": "#security",
            "SLACK_API_URL": sink.api_url,
        }
    else:
        env |= {"SLACK_WEBHOOK_URL": sink.webhook_url}
    containers = [Container(env) for _ in range(workers)]  # one per Lambda instance
    run = Run(f"signin-alerts ({transport})", sink)
    lock = threading.Lock()

    def count_call(model: Any, **_: Any) -> None:
        with lock:
            run.calls[model.name] = run.calls.get(model.name, 0) + 1

    for container in containers:
        container.dynamodb.meta.events.register("before-call.dynamodb", count_call)

    def handle(worker: int, event: dict[str, Any]) -> None:
        # A Lambda instance has up to its 60 s timeout for one event.
        containers[worker].alerter.handle(event, deadline=time.monotonic() + 60)

    replay(events, workers, handle, run)
    handled_calls = dict(run.calls)
    if sweep_after > 0:
        # The per-minute `burst_summaries` schedule, once the storm has been quiet.
        last_event_at = run.first_event_at + events[-1][0]
        time.sleep(max(0.0, last_event_at + sweep_after - time.monotonic()))
        run.sweep = containers[0].burst_summaries(deadline=time.monotonic() + 60)
    ledger = containers[0].ledger
    run.ledger_records = sum(
        1 for _, event in events if ledger.get(event["detail"]["eventID"]) is not None
    )
    run.calls = handled_calls  # the sign-ins' calls, not the sweep's or the count above
    return run


def naive(events: list[tuple[float, dict[str, Any]]], workers: int) -> Run:
    sink = SlackSink(rate_limit=RateLimit(per_second=1, burst=1)).start()
    run = Run("naive forwarder", sink)

    def handle(worker: int, event: dict[str, Any]) -> None:
        forward(event, sink.webhook_url)  # once, whatever the answer

    replay(events, workers, handle, run)
    return run


def row(run: Run, events: int) -> str:
    sink = run.sink
    attempted = len(sink.requests)
    delivered = len(sink.delivered)
    first = run.first_message_after()
    first_text = f"{first:.2f} s" if first is not None else "none"
    ledger = (
        "n/a (no ledger)"
        if run.ledger_records is None
        else (f"{run.ledger_records} ({events - run.ledger_records} missing)")
    )
    lost = (
        f"{attempted - delivered} messages"
        if run.ledger_records is None
        else f"{len(run.errors)} failed invocations"
    )
    return (
        f"| {run.name} | {events} | {attempted} | {delivered} | {sink.count(429)} | {lost} | "
        f"{ledger} | {first_text} | {run.elapsed:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--transport", choices=("webhook", "webapi"), default="webhook")
    parser.add_argument(
        "--sweep-after",
        type=float,
        default=61.0,
        help="run the burst_summaries schedule this long after the last event (0: never)",
    )
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    import logging

    import boto3
    from moto import mock_aws

    from chalicelib.store.provision import create_ledger_table
    from localdev import fast_moto

    fast_moto.install()

    logging.getLogger("signin_alerts").disabled = True  # one JSON line per event: too many
    events = storm(args.events, args.seconds)
    with mock_aws(), atomic_moto():
        create_ledger_table(boto3.client("dynamodb", region_name="us-east-1"), TABLE)
        results: dict[str, Run] = {}
        threads = [
            threading.Thread(
                target=lambda: results.setdefault(
                    "ours", ours(events, args.workers, args.transport, args.sweep_after)
                )
            ),
            threading.Thread(
                target=lambda: results.setdefault("naive", naive(events, args.workers))
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    print(
        f"{args.events} failed sign-ins for one principal within {args.seconds:g} s, "
        f"{args.workers} concurrent instances, Slack sink: 1 message/s then 429\n"
    )
    print(
        "| forwarder | events | requests | messages delivered | 429s | lost | "
        "ledger records | first message after first event | run time |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for key in ("ours", "naive"):
        print(row(results[key], args.events))
    print()
    for request in results["ours"].sink.requests:
        text = " ".join(request.json.get("text", "").split())
        kind = "update" if request.path.endswith("chat.update") else "post"
        at = request.at - results["ours"].first_event_at
        print(f"  {at:6.2f} s  {request.status}  {kind:6} {text[:130]}")
    ours_run = results["ours"]
    if ours_run.sweep:
        print(f"  sweep after the storm: {ours_run.sweep}")
    total_calls = sum(ours_run.calls.values())
    print(
        f"  handled {ours_run.handled} events in {ours_run.elapsed:.0f} s: "
        f"{ours_run.handled / max(ours_run.elapsed, 1e-9):.1f} events/s; DynamoDB calls "
        f"{total_calls} ({total_calls / max(ours_run.handled, 1):.2f} per event): "
        + ", ".join(f"{name} {n}" for name, n in sorted(ours_run.calls.items()))
    )
    for error in sorted(set(results["ours"].errors))[:5]:
        print("  error:", error)
    for sink in (results["ours"].sink, results["naive"].sink):
        sink.stop()


if __name__ == "__main__":
    main()
