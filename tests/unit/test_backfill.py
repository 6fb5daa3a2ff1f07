"""GIVEN CloudTrail's LookupEvents (stubbed: moto has none) WHEN `manage.py backfill`
runs THEN past sign-ins land in the ledger once, without alerts, within the API's rate."""

from __future__ import annotations

import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import manage
from chalicelib.settings import Settings
from chalicelib.store.ledger import Ledger
from chalicelib.store.schema import event_key
from chalicelib.store.signin_record import AlertStatus
from localdev.signins import Login
from tests.conftest import TABLE, fixture_records
from tools.backfill import Backfill, Progress, RateLimiter

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def lookup_event(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "EventId": record["eventID"],
        "EventName": "ConsoleLogin",
        "EventTime": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "EventSource": "signin.amazonaws.com",
        "CloudTrailEvent": json.dumps(record),
    }


def page(logins: list[Login], token: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"Events": [lookup_event(login.record()) for login in logins]}
    if token:
        response["NextToken"] = token
    return response


class Regions:
    """One stubbed CloudTrail client per region, with the fake time of each call."""

    def __init__(self, clock: FakeTime) -> None:
        self.clock = clock
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        self.call_times: dict[str, list[float]] = {}

    def stub(self, region: str) -> Stubber:
        client = boto3.client("cloudtrail", region_name=region)
        times = self.call_times.setdefault(region, [])
        client.meta.events.register(
            "before-parameter-build.cloudtrail.LookupEvents",
            lambda **_: times.append(self.clock.now),
        )
        stubber = Stubber(client)
        self.clients[region] = client
        self.stubbers[region] = stubber
        return stubber

    def __call__(self, region: str) -> Any:
        self.stubbers[region].activate()
        return self.clients[region]


def backfill(dynamodb: Any, regions: Regions, clock: FakeTime, **kwargs: Any) -> Backfill:
    ledger = Ledger(dynamodb, TABLE, clock=lambda: NOW)
    return Backfill(
        ledger,
        Settings(),
        regions,
        clock=lambda: NOW,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        **kwargs,
    )


def expected(token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "LookupAttributes": [
            {"AttributeKey": "EventSource", "AttributeValue": "signin.amazonaws.com"}
        ],
        "StartTime": NOW - timedelta(days=7),
        "EndTime": NOW,
        "MaxResults": 50,
    }
    if token:
        params["NextToken"] = token
    return params


def test_pages_every_region_records_without_alerting_and_summarises(dynamodb: Any) -> None:
    clock = FakeTime()
    regions = Regions(clock)
    east = regions.stub("us-east-1")
    east.add_response(
        "lookup_events",
        page([Login("a", NOW - timedelta(hours=1)), Login("b", NOW - timedelta(days=2))], "t1"),
        expected(),
    )
    east.add_response(
        "lookup_events", page([Login("c", NOW - timedelta(days=6), kind="Root")]), expected("t1")
    )
    west = regions.stub("us-west-2")
    west.add_response(
        "lookup_events", page([Login("d", NOW - timedelta(days=1), region="us-west-2")]), expected()
    )

    summary = backfill(dynamodb, regions, clock).run(7, ["us-east-1", "us-west-2"])

    east.assert_no_pending_responses()
    west.assert_no_pending_responses()
    assert [(r.region, r.found, r.recorded, r.calls) for r in summary.regions] == [
        ("us-east-1", 3, 3, 2),
        ("us-west-2", 1, 1, 1),
    ]
    for event_id in "abcd":
        item = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id))["Item"]
        assert item["alert_status"]["S"] == AlertStatus.NOT_ALERTED.value
    assert "4 console sign-ins found in the last 7 days, 4 new" in summary.lines()[-1]


def test_a_second_run_changes_nothing(dynamodb: Any) -> None:
    clock = FakeTime()
    logins = [Login("a", NOW - timedelta(hours=1)), Login("b", NOW - timedelta(days=2))]
    first, second = Regions(clock), Regions(clock)
    first.stub("us-east-1").add_response("lookup_events", page(logins), expected())
    second.stub("us-east-1").add_response("lookup_events", page(logins), expected())
    backfill(dynamodb, first, clock).run(7, ["us-east-1"])
    before = dynamodb.get_item(TableName=TABLE, Key=event_key("a"))["Item"]

    summary = backfill(dynamodb, second, clock).run(7, ["us-east-1"])

    [result] = summary.regions
    assert (result.recorded, result.already_there) == (0, 2)
    assert dynamodb.get_item(TableName=TABLE, Key=event_key("a"))["Item"] == before


def test_throttling_is_waited_out_with_backoff(dynamodb: Any) -> None:
    clock = FakeTime()
    regions = Regions(clock)
    east = regions.stub("us-east-1")
    east.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)
    east.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)
    east.add_response("lookup_events", page([Login("a", NOW - timedelta(hours=1))]), expected())

    summary = backfill(dynamodb, regions, clock).run(7, ["us-east-1"])

    [result] = summary.regions
    assert (result.throttled, result.recorded, result.calls) == (2, 1, 3)
    assert clock.sleeps[:2] == [1.0, 2.0]


def test_throttling_that_never_ends_fails_loudly(dynamodb: Any) -> None:
    clock = FakeTime()
    regions = Regions(clock)
    east = regions.stub("us-east-1")
    for _ in range(3):
        east.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)

    with pytest.raises(Exception, match="ThrottlingException"):
        backfill(dynamodb, regions, clock, max_throttle_retries=2).run(7, ["us-east-1"])


def test_never_more_than_two_calls_per_second_per_region(dynamodb: Any) -> None:
    clock = FakeTime()
    regions = Regions(clock)
    east = regions.stub("us-east-1")
    for number in range(6):
        token = f"t{number + 1}" if number < 5 else None
        login = Login(f"e{number}", NOW - timedelta(hours=number + 1))
        east.add_response(
            "lookup_events", page([login], token), expected(f"t{number}" if number else None)
        )

    backfill(dynamodb, regions, clock).run(7, ["us-east-1"])

    times = regions.call_times["us-east-1"]
    assert len(times) == 6
    assert all(later - earlier >= 0.5 for earlier, later in itertools.pairwise(times))


def test_other_errors_are_not_retried(dynamodb: Any) -> None:
    clock = FakeTime()
    regions = Regions(clock)
    regions.stub("us-east-1").add_client_error(
        "lookup_events", "AccessDeniedException", "not allowed", 400
    )

    with pytest.raises(Exception, match="AccessDenied"):
        backfill(dynamodb, regions, clock).run(7, ["us-east-1"])
    assert clock.sleeps == []


def test_every_real_record_shape_goes_in_and_an_unreadable_one_is_counted(
    dynamodb: Any,
) -> None:
    clock = FakeTime()
    regions = Regions(clock)
    records = [record for record in fixture_records() if record.get("eventID")]
    events = [
        {
            "EventId": record["eventID"],
            "EventName": "ConsoleLogin",
            "CloudTrailEvent": json.dumps(record),
        }
        for record in records
    ]
    events.append({"EventId": "broken", "CloudTrailEvent": "{not json"})
    regions.stub("us-east-1").add_response("lookup_events", {"Events": events}, expected())

    summary = backfill(dynamodb, regions, clock).run(7, ["us-east-1"])

    [result] = summary.regions
    assert result.unreadable == 1
    assert result.recorded + result.already_there == len(records)


def test_progress_shows_how_much_of_the_period_is_covered(dynamodb: Any) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    clock = FakeTime()
    regions = Regions(clock)
    east = regions.stub("us-east-1")
    east.add_response(
        "lookup_events", page([Login("a", NOW - timedelta(days=3.5))], "t1"), expected()
    )
    east.add_response("lookup_events", page([Login("b", NOW - timedelta(days=6))]), expected("t1"))

    backfill(dynamodb, regions, clock, progress=Progress(terminal)).run(7, ["us-east-1"])

    assert " 50%  1 sign-ins, 1 new" in terminal.getvalue()
    assert terminal.getvalue().endswith("100%  2 sign-ins, 2 new\n")


def test_the_rate_limiter_spaces_calls_evenly() -> None:
    clock = FakeTime()
    limiter = RateLimiter(2.0, monotonic=clock.monotonic, sleep=clock.sleep)

    for _ in range(5):
        limiter.wait()

    assert clock.now == pytest.approx(1002.0)


@pytest.mark.parametrize("days", ["0", "91"])
def test_days_outside_what_cloudtrail_keeps_are_refused(days: str, capsys: Any) -> None:
    assert manage.main(["backfill", "--env", "prod", "--days", days, "--regions", "us-east-1"]) == 2
    assert "--days must be 1 to 90" in capsys.readouterr().err
