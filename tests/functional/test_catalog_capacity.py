"""GIVEN a principal catalog whose shard is as full as DynamoDB allows (400 KB) WHEN a
new principal signs in, through the real handler or a bulk import THEN the sign-in is
recorded and alerted once, `/recent-logins` finds the newcomer, no principal already
catalogued is lost, and no page passes 400 KB. And however principals and packings
interleave, the catalog holds every principal once, in pages of bounded size.

moto measures every update as DynamoDB does (`localdev/moto_limits.py`): without it an
over-full item would pass here and fail on AWS."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.container import Container
from chalicelib.judge.rules import evaluate
from chalicelib.recent_logins.command import parse_command
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.store import catalog_pages
from chalicelib.store.catalog_entry import catalog_entry
from chalicelib.store.catalog_pages import (
    catalog_entries,
    first_page_keys,
    further_page_keys,
    pack_catalog,
)
from chalicelib.store.ledger import Ledger
from chalicelib.store.provision import create_ledger_table
from chalicelib.store.schema import (
    CATALOG_SHARDS,
    catalog_key,
    catalog_shard,
    event_key,
)
from localdev.events import console_login
from localdev.moto_limits import ITEM_SIZE_LIMIT
from localdev.slack_sink import SlackSink
from tests.conftest import TABLE

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"


def newcomer_login(name: str = "newcomer") -> dict[str, Any]:
    return console_login("e-new", NOW, user=name, ip="8.8.8.8", success=True, mfa=False)


def fill_first_page(dynamodb: Any, shard: int, table: str = TABLE) -> set[str]:
    """The shard's first page as full as a put allows: any entry more passes 400 KB."""
    key = catalog_key(shard)
    # What DynamoDB counts: each attribute's name and value, in UTF-8.
    room = ITEM_SIZE_LIMIT - sum(len(n) + len(v["S"]) for n, v in key.items()) - len("entries")
    entries: set[str] = set()
    number = 0
    while room > 10:  # the last entry leaves 10 bytes: no entry is that short
        name = f"old{number:05d}"
        entry = catalog_entry(ACCOUNT, name, f"{name} arn:aws:iam::{ACCOUNT}:user/{name} " * 2)
        entry = entry[: room - 10]
        entries.add(entry)
        room -= len(entry)
        number += 1
    dynamodb.put_item(TableName=table, Item={**key, "entries": {"SS": sorted(entries)}})
    return entries


def pages_of(dynamodb: Any, table: str = TABLE) -> list[dict[str, Any]]:
    def batch_get(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            response = dynamodb.batch_get_item(
                RequestItems={table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            )
            found += response["Responses"][table]
        return found

    # As /recent-logins reads it: the first pages, then the further pages they count.
    first = batch_get(first_page_keys())
    further = further_page_keys(first)
    return first + (batch_get(further) if further else [])


def largest_page(dynamodb: Any, table: str = TABLE) -> int:
    """The largest page's size, as DynamoDB counts it: names and values in UTF-8."""

    def size(value: dict[str, Any]) -> int:
        [(kind, held)] = value.items()
        return sum(len(text.encode()) for text in held) if kind == "SS" else len(held.encode())

    pages = pages_of(dynamodb, table)
    return max(sum(len(name) + size(value) for name, value in item.items()) for item in pages)


def test_a_newcomer_to_a_full_shard_is_alerted_recorded_and_found(
    invoke: Any, configure: Callable[..., Container], slack_sink: SlackSink
) -> None:
    container = configure(ALERT_MIN_SEVERITY="INFO")
    db = container.dynamodb
    event = newcomer_login()
    shard = catalog_shard(parse_signin(event, received_at=NOW).principal_key)
    old = fill_first_page(db, shard)

    result = invoke(event)

    # THEN one alert, the sign-in recorded, and every principal still catalogued
    assert result["outcome"] == "posted"
    assert len(slack_sink.messages) == 1
    assert "Item" in db.get_item(TableName=TABLE, Key=event_key("e-new"))
    entries = catalog_entries(pages_of(db))
    assert old <= set(entries) and len(entries) == len(set(entries)) == len(old) + 1
    assert largest_page(db) < ITEM_SIZE_LIMIT
    # What a user notices: /recent-logins finds the newcomer by a part of its name
    history = SigninHistory(db, TABLE, clock=lambda: NOW + timedelta(minutes=1))
    query = parse_command("newcom since 1d", container.settings).to_query(NOW)
    assert [entry.event_id for entry in history.recent(query).entries] == ["e-new"]


def test_a_bulk_import_into_a_full_shard_loses_no_one(dynamodb: Any) -> None:
    signin = parse_signin(newcomer_login("imported"), received_at=NOW)
    old = fill_first_page(dynamodb, catalog_shard(signin.principal_key))

    ledger = Ledger(dynamodb, TABLE, clock=lambda: NOW)
    assert ledger.record(signin, evaluate(signin, Settings())).first_time

    entries = set(catalog_entries(pages_of(dynamodb)))
    assert old < entries and len(entries) == len(old) + 1
    assert largest_page(dynamodb) < ITEM_SIZE_LIMIT


# -- the property: any interleaving of new principals and packings --------------------

Step = tuple[str, int]  # ("add", how many) or ("pack", pack_from)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 40)),
        st.tuples(st.just("pack"), st.sampled_from([1, 5, 50])),
    ),
    min_size=1,
    max_size=12,
)


TABLES = itertools.count()


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of a few entries, so that a few hundred principals fill many."""
    monkeypatch.setattr(catalog_pages, "FIRST_PAGE_BYTES", 600)
    monkeypatch.setattr(catalog_pages, "PAGE_BYTES", 900)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps, seed=st.integers(0, 2**16))
def test_the_catalog_holds_every_principal_once_in_bounded_pages(
    aws: None, small_pages: None, plan: list[Step], seed: int
) -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = f"catalog-{next(TABLES)}"
    create_ledger_table(dynamodb, table)
    rng = random.Random(seed)
    added: set[str] = set()
    for action, amount in plan:
        if action == "pack":
            before = set(catalog_entries(pages_of(dynamodb, table)))
            pack_catalog(dynamodb, table, pack_from=amount)
            assert set(catalog_entries(pages_of(dynamodb, table))) == before
            continue
        for _ in range(amount):
            name = f"p{rng.randrange(10**6):06d}"
            entry = catalog_entry(ACCOUNT, name, f"{name} arn:aws:iam::{ACCOUNT}:user/{name}")
            shard = rng.randrange(CATALOG_SHARDS) % 3  # a few shards, so pages fill
            dynamodb.update_item(
                TableName=table,
                Key=catalog_key(shard),
                UpdateExpression="ADD #e :entry",
                ExpressionAttributeNames={"#e": "entries"},
                ExpressionAttributeValues={":entry": {"SS": [entry]}},
            )
            added.add(entry)
    pack_catalog(dynamodb, table, pack_from=1)
    pages = pages_of(dynamodb, table)
    entries = catalog_entries(pages)
    assert sorted(entries) == sorted(added)  # every one, once
    packed = [len(item.get("packed", {}).get("S", "").encode()) for item in pages]
    assert max(packed, default=0) <= catalog_pages.PAGE_BYTES
    first_pages = [item for item in pages if item["sk"]["S"] == "PRINCIPALS"]
    assert all(
        len(item.get("packed", {}).get("S", "").encode()) <= catalog_pages.FIRST_PAGE_BYTES
        for item in first_pages
    )
