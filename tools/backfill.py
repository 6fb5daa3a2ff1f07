"""`manage.py backfill --env ENV`: import past sign-ins from CloudTrail into the ledger.

CloudTrail's LookupEvents keeps 90 days of management events per region and allows two
calls per second per account and region. Each region (the env's stage regions by
default) is paged newest first at that rate, throttling is waited out with backoff, and
every sign-in event (the live rule's: event source signin.amazonaws.com) goes through
the same parser and `Ledger.record` (recorded and counted, not alerted), with the
stage's settings, into the stage's ledger: nothing is posted to Slack, and a sign-in
already in the ledger (live or from an earlier backfill) is left as it is, so running
it twice changes nothing. First it brings sign-ins recorded by older versions up to the
current schema (`manage.py reindex`), so that those are listed too."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.store.ledger import Ledger
from tools.cli import add_env_options, region_list, session
from tools.reindex import Reindex
from tools.stages import env_stages, ledger_of

LOOKUP_CALLS_PER_SECOND = 2.0  # CloudTrail's quota for LookupEvents
MAX_LOOKUP_DAYS = 90  # how far back LookupEvents can see
PAGE_SIZE = 50  # the API's maximum
# Every event the live rule (`source: aws.signin`) delivers, not only ConsoleLogin:
# CheckMfa, SwitchRole, the Identity Center sign-in events, ...
SIGNIN_SOURCE = "signin.amazonaws.com"
THROTTLE_ERRORS = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling"})


class RateLimiter:
    """At most `per_second` calls, spaced evenly: a call waits for its slot."""

    def __init__(
        self,
        per_second: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = float("-inf")

    def wait(self) -> None:
        now = self._monotonic()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


@dataclass
class RegionResult:
    region: str
    found: int = 0
    recorded: int = 0
    already_there: int = 0
    unreadable: int = 0
    calls: int = 0
    throttled: int = 0


@dataclass
class Summary:
    days: int
    regions: list[RegionResult] = field(default_factory=list)

    def lines(self) -> list[str]:
        width = max([len(result.region) for result in self.regions] + [6])
        rows = [
            f"{'region':<{width}}  {'found':>7}  {'new':>7}  {'already':>7}  "
            f"{'unreadable':>10}  {'calls':>5}  {'throttled':>9}"
        ]
        for result in self.regions:
            rows.append(
                f"{result.region:<{width}}  {result.found:>7,}  {result.recorded:>7,}  "
                f"{result.already_there:>7,}  {result.unreadable:>10,}  {result.calls:>5,}  "
                f"{result.throttled:>9,}"
            )
        total_new = sum(result.recorded for result in self.regions)
        total_found = sum(result.found for result in self.regions)
        rows.append(
            f"{total_found:,} console sign-ins found in the last {self.days} days, "
            f"{total_new:,} new in the ledger; nothing was posted to Slack."
        )
        return rows


class Progress:
    """A one-line bar on stderr: how much of the period a region has covered, since
    LookupEvents pages newest first. Plain lines when stderr is not a terminal."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30) -> None:
        self._stream = stream or sys.stderr
        self._width = width
        self._tty = self._stream.isatty()

    def update(self, result: RegionResult, fraction: float) -> None:
        if not self._tty:
            return
        filled = int(self._width * min(1.0, max(0.0, fraction)))
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(
            f"\r{result.region:<14} [{bar}] {fraction:4.0%}  {result.found:,} sign-ins, "
            f"{result.recorded:,} new"
        )
        self._stream.flush()

    def done(self, result: RegionResult) -> None:
        if self._tty:
            self.update(result, 1.0)
            self._stream.write("\n")
        else:
            self._stream.write(
                f"{result.region}: {result.found:,} sign-ins, {result.recorded:,} new\n"
            )
        self._stream.flush()


class Backfill:
    def __init__(
        self,
        ledger: Ledger,
        settings: Settings,
        cloudtrail: Callable[[str], Any],
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        calls_per_second: float = LOOKUP_CALLS_PER_SECOND,
        max_throttle_retries: int = 8,
        progress: Progress | None = None,
    ) -> None:
        self._ledger = ledger
        self._settings = settings
        self._cloudtrail = cloudtrail
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._per_second = calls_per_second
        self._max_retries = max_throttle_retries
        self._progress = progress

    def run(self, days: int, regions: list[str]) -> Summary:
        if not 1 <= days <= MAX_LOOKUP_DAYS:
            raise ValueError(f"--days: 1 to {MAX_LOOKUP_DAYS} (CloudTrail keeps 90 days)")
        end = self._clock()
        start = end - timedelta(days=days)
        summary = Summary(days)
        for region in regions:
            summary.regions.append(self._region(region, start, end))
        return summary

    def _region(self, region: str, start: datetime, end: datetime) -> RegionResult:
        result = RegionResult(region)
        client = self._cloudtrail(region)
        limiter = RateLimiter(self._per_second, monotonic=self._monotonic, sleep=self._sleep)
        for page in self._pages(client, limiter, result, start, end):
            oldest = end
            for event in page.get("Events", []):
                result.found += 1
                self._record(event, result)
                event_time = event.get("EventTime")
                if isinstance(event_time, datetime):
                    oldest = min(oldest, event_time.astimezone(UTC))
            if self._progress:
                self._progress.update(result, (end - oldest) / (end - start))
        if self._progress:
            self._progress.done(result)
        return result

    def _pages(
        self,
        client: Any,
        limiter: RateLimiter,
        result: RegionResult,
        start: datetime,
        end: datetime,
    ) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": SIGNIN_SOURCE}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": PAGE_SIZE,
        }
        while True:
            page = self._call(client, limiter, result, arguments)
            yield page
            token = page.get("NextToken")
            if not token:
                return
            arguments["NextToken"] = token

    def _call(
        self,
        client: Any,
        limiter: RateLimiter,
        result: RegionResult,
        arguments: dict[str, Any],
    ) -> dict[str, Any]:
        for attempt in range(self._max_retries + 1):
            limiter.wait()
            result.calls += 1
            try:
                page: dict[str, Any] = client.lookup_events(**arguments)
                return page
            except client.exceptions.ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in THROTTLE_ERRORS or attempt == self._max_retries:
                    raise
                result.throttled += 1
                self._sleep(min(20.0, 2.0**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, event: dict[str, Any], result: RegionResult) -> None:
        try:
            record = json.loads(event.get("CloudTrailEvent") or "")
        except (TypeError, ValueError):
            result.unreadable += 1
            return
        if not isinstance(record, dict):
            result.unreadable += 1
            return
        signin = parse_signin(record, received_at=self._clock())
        verdict = evaluate(signin, self._settings)
        if self._ledger.record(signin, verdict).first_time:
            result.recorded += 1
        else:
            result.already_there += 1


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "backfill",
        help="import past console sign-ins from CloudTrail into the ledger (no alerts)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--days",
        type=int,
        default=MAX_LOOKUP_DAYS,
        help=f"how many days back, 1 to {MAX_LOOKUP_DAYS} (default {MAX_LOOKUP_DAYS})",
    )
    add_env_options(parser, regions=False)
    parser.add_argument(
        "--regions",
        type=region_list,
        help="comma-separated CloudTrail regions to read (default: the env's stage regions; "
        "add the regions that forward to them)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= MAX_LOOKUP_DAYS:
        print(f"--days must be 1 to {MAX_LOOKUP_DAYS}", file=sys.stderr)
        return 2
    stages = env_stages(args.env, project_dir=args.project_dir)
    table, region = ledger_of(stages)
    settings = Settings.from_env(stages[0].environment)
    aws = session()
    dynamodb = aws.client("dynamodb", region_name=region)
    ledger = Ledger(
        dynamodb,
        table,
        clock=lambda: datetime.now(UTC),
        retention_days=settings.ledger_retention_days,
    )
    backfill = Backfill(
        ledger,
        settings,
        lambda region: aws.client("cloudtrail", region_name=region),
        clock=lambda: datetime.now(UTC),
        progress=Progress(),
    )
    print(f"ledger table {table} in {region}")
    print(Reindex(dynamodb, ledger).run().line())
    summary = backfill.run(args.days, args.regions or [stage.region for stage in stages])
    print("\n".join(summary.lines()))
    return 0
