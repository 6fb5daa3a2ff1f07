"""GIVEN the ledger table WHEN provisioned or read for /recent-logins THEN the indexes
answer every question with Query, and the counters match the items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from chalicelib.judge.rules import evaluate
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.recent_logins.queries import HistoryQuery
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.store.indexes import index_definitions
from chalicelib.store.ledger import Ledger
from chalicelib.store.provision import create_ledger_table
from chalicelib.store.schema import Category
from localdev.signins import Login
from tests.conftest import TABLE

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def record(dynamodb: Any, *logins: Login) -> Ledger:
    ledger = Ledger(dynamodb, TABLE, clock=lambda: NOW)
    for login in logins:
        signin = parse_signin(login.record(), received_at=NOW)
        ledger.record(signin, evaluate(signin, Settings()))
    return ledger


def operations(client: Any) -> list[str]:
    seen: list[str] = []
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: seen.append(model.name)
    )
    return seen


def test_an_old_table_gets_the_missing_indexes_and_keeps_its_items(aws: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="old-ledger",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    client.put_item(TableName="old-ledger", Item={"pk": {"S": "SEEN#x"}, "sk": {"S": "S"}})

    assert create_ledger_table(client, "old-ledger", poll_seconds=0) is False
    again = create_ledger_table(client, "old-ledger", poll_seconds=0)

    indexes = client.describe_table(TableName="old-ledger")["Table"]["GlobalSecondaryIndexes"]
    assert again is False
    assert sorted(index["IndexName"] for index in indexes) == sorted(
        index["IndexName"] for index in index_definitions()
    )
    assert client.get_item(TableName="old-ledger", Key={"pk": {"S": "SEEN#x"}, "sk": {"S": "S"}})[
        "Item"
    ]


def test_counters_count_each_signin_once_by_category(dynamodb: Any) -> None:
    login = Login("a", NOW - timedelta(hours=1), kind="Root", mfa=False)
    record(
        dynamodb,
        login,
        login,
        Login("b", NOW - timedelta(hours=2), success=False),
        Login("c", NOW - timedelta(hours=3), kind="AssumedRole", mfa=False),
    )
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)

    result = history.recent(HistoryQuery(limit=10, since=NOW - timedelta(days=1)))

    window = result.window
    assert (window.signins, window.failed, window.root, window.nomfa) == (3, 1, 1, 1)
    assert [entry.event_id for entry in result.entries] == ["a", "b", "c"]


def test_a_window_starting_mid_day_counts_only_from_its_start(dynamodb: Any) -> None:
    record(
        dynamodb,
        Login("in", NOW - timedelta(hours=1), success=False),
        Login("out", NOW - timedelta(hours=11, minutes=30), success=False),
    )
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)

    result = history.recent(HistoryQuery(limit=10, since=NOW - timedelta(hours=2)))

    window = result.window
    assert (window.signins, window.failed, window.root, window.nomfa) == (1, 1, 0, 0)
    assert [entry.event_id for entry in result.entries] == ["in"]


def test_no_scan_and_one_query_for_the_newest_entries_of_a_busy_week(dynamodb: Any) -> None:
    record(
        dynamodb,
        *(Login(f"e{n}", NOW - timedelta(hours=n * 3)) for n in range(50)),
    )
    calls = operations(dynamodb)
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)

    result = history.recent(HistoryQuery(limit=5, since=NOW - timedelta(days=7)))

    assert [entry.event_id for entry in result.entries] == ["e0", "e1", "e2", "e3", "e4"]
    assert "Scan" not in calls
    # counters, the partial first day's total, then the newest day bucket
    assert calls.count("Query") <= 3 and calls.count("BatchGetItem") == 1


def test_days_without_matching_signins_are_never_read(dynamodb: Any) -> None:
    record(
        dynamodb,
        *(Login(f"ok{n}", NOW - timedelta(days=n, hours=1)) for n in range(30)),
        Login("root-old", NOW - timedelta(days=25), kind="Root"),
    )
    calls = operations(dynamodb)
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)

    result = history.recent(
        HistoryQuery(
            limit=5,
            since=datetime(2026, 10, 21, tzinfo=UTC),
            categories=frozenset({Category.ROOT}),
        )
    )

    assert [entry.event_id for entry in result.entries] == ["root-old"]
    assert calls == ["BatchGetItem", "Query"]


def test_a_window_starting_mid_hour_reads_only_that_hours_signins(dynamodb: Any) -> None:
    record(
        dynamodb,
        Login("before", NOW - timedelta(minutes=50), kind="Root"),
        Login("after", NOW - timedelta(minutes=20), success=False),
        Login("earlier-hour", NOW - timedelta(hours=3)),
    )
    calls = operations(dynamodb)
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW + timedelta(minutes=30))

    result = history.recent(HistoryQuery(limit=10, since=NOW - timedelta(minutes=30)))

    window = result.window
    assert (window.signins, window.failed, window.root) == (1, 1, 0)
    assert [entry.event_id for entry in result.entries] == ["after"]
    assert calls == ["BatchGetItem", "Query", "Query"]


def test_combined_categories_are_counted_exactly_from_the_counters(dynamodb: Any) -> None:
    record(
        dynamodb,
        Login("root-failed", NOW - timedelta(days=2), kind="Root", success=False),
        Login("root-ok", NOW - timedelta(days=1), kind="Root"),
        Login("failed", NOW - timedelta(days=3), success=False),
    )
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)

    result = history.recent(
        HistoryQuery(
            limit=10,
            since=datetime(2026, 11, 13, tzinfo=UTC),
            categories=frozenset({Category.ROOT, Category.FAILED}),
        )
    )

    assert result.matched == 1
    assert [entry.event_id for entry in result.entries] == ["root-failed"]


def test_the_indexes_stay_within_dynamodbs_limits() -> None:
    from chalicelib.store.indexes import MAX_PROJECTED_ATTRIBUTES

    indexes = index_definitions()
    projected = sum(len(index["Projection"].get("NonKeyAttributes", [])) for index in indexes)

    assert projected <= MAX_PROJECTED_ATTRIBUTES  # summed over all indexes of a table
    assert len(indexes) <= 20  # global secondary indexes per table
