"""GIVEN a ledger of 1,000 and one of 100,000 sign-ins over 90 days, and the 1,000 in
an organization of 500 accounts and 50,000 principals, WHEN any shape of /recent-logins
is asked THEN it is answered whole in at most 5 DynamoDB calls, never in more at
100,000 than at 1,000, and in the organization as at 1,000.

The calls are counted by a botocore before-call hook on the client the history reads
with. The 100,000-row table is written straight into moto's backend (a BatchWriteItem
of 100,000 items through botocore would take minutes): each of 1,000 recorded
sign-ins a hundred times over, with its own event id, so every day, hour, category
and principal holds a hundred times as many sign-ins, in the same seconds. The
organization's catalog holds 50,000 principals of 500 accounts (the 1,000's principals
and people who did not sign in in 90 days), so a WHO resolves against an organization's
catalog (what grows with principals; what grows with sign-ins is read by key range).
Queries read only the partition's key range (`bench.emulator.partition_queries`), as DynamoDB does.
`bench.recent_logins --organization` loads 1,000,000 sign-ins of 50,000 principals.
"""

from __future__ import annotations

import copy as copy_module
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from bench.emulator import partition_queries
from chalicelib.recent_logins.command import parse_command
from chalicelib.recent_logins.history import MAX_CALLS, SigninHistory
from chalicelib.settings import Settings
from chalicelib.store.catalog_entry import catalog_entry
from chalicelib.store.catalog_pages import bulk_pages, catalog_entries
from chalicelib.store.indexes import SIGNIN_INDEX
from chalicelib.store.provision import create_ledger_table
from chalicelib.store.recent_ring import RingEntry, parse_ring
from chalicelib.store.schema import (
    CATALOG_SHARDS,
    CATEGORY_RINGS,
    DIRECTORY_COUNT_PREFIX,
    catalog_key,
    catalog_shard,
    ring_attribute,
    ring_size,
)
from localdev.bulk_ledger import ledger_items
from localdev.signins import spread

ACCOUNT = "123456789012"  # moto's default account
NOW = datetime(2026, 11, 20, 15, 55, 7, tzinfo=UTC)
SETTINGS = Settings(account_names={"444455556666": "staging"})
# Tables by how many sign-ins each holds, each a copy of the 1,000 (see _copies); the
# organization's is the 1,000 again, with its catalog grown to 50,000 principals.
ORGANIZATION = 50_000
COPIES = {1_000: 1, 100_000: 100, ORGANIZATION: 1}
ORGANIZATION_ACCOUNTS = 500
ORGANIZATION_PRINCIPALS = 50_000
# Every shape of command: none, N, each category, two categories, WHO, account, both,
# WHO with a category, a name that matches nothing, each window unit.
COMMANDS = (
    "",
    "50",
    "failed",
    "root since 90d",
    "nomfa 20",
    "root failed since 90d",
    "failed nomfa",
    "alice",
    "user/alice since 90d",
    "account 444455556666 since 30d",
    "account staging failed",
    "alice account 111122223333",
    "bob failed since 24h",
    "carol root",
    # a name part of more names than calls are left: 8 IAM users in 3 accounts
    "user/ since 90d",
    "user/ since 1d",
    "user/ failed since 90d",
    "user/ nomfa",
    "user/ account 444455556666 since 2w",
    "nobody-at-all since 90d",
    "since 30m",
    "since 2h",
    "since 1d",
    "since 2w",
)


def _copies(item: dict[str, Any], copies: int) -> Iterator[dict[str, Any]]:
    """The item as `copies` sign-ins: an event item once per copy, with its own id; a
    counter or directory item once, with its counts multiplied."""
    pk = item["pk"]["S"]
    if copies == 1 or not (pk.startswith(("DAY#", "PRINCIPAL#"))):
        yield item
        return
    multiplied = dict(item)
    for name, value in item.items():
        counted = pk.startswith("DAY#") or name.startswith(DIRECTORY_COUNT_PREFIX)
        if counted and "N" in value and name != "expires_at":
            multiplied[name] = {"N": str(int(value["N"]) * copies)}
    for category in (None, *CATEGORY_RINGS):  # the newest copies of its newest sign-ins
        attribute = ring_attribute(category)
        if attribute not in item:
            continue
        entries = parse_ring(item[attribute]["S"]) or ()
        copied = [
            RingEntry(entry.at + (f"-{copy:03d}" if copy else ""), entry.categories)
            for entry in entries
            for copy in range(copies)
        ]
        newest = sorted(copied, key=lambda entry: entry.at, reverse=True)[: ring_size(category)]
        multiplied[attribute] = {"S": " ".join(entry.text() for entry in newest)}
    yield multiplied


def _organization(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items, with the catalog grown to ORGANIZATION_PRINCIPALS principals of
    ORGANIZATION_ACCOUNTS accounts: Identity Center sessions of people who did not sign
    in within 90 days (the retention), so no listing finds them."""
    shards: dict[int, set[str]] = {shard: set() for shard in range(CATALOG_SHARDS)}
    others = []
    for item in items:
        if item["pk"]["S"].startswith("CATALOG#"):
            shards[int(item["pk"]["S"].removeprefix("CATALOG#"))] |= set(catalog_entries([item]))
        else:
            others.append(item)
    role = "awsreservedsso_readonlyaccess_0123456789abcdef"
    for number in range(ORGANIZATION_PRINCIPALS - sum(map(len, shards.values()))):
        account = f"{100000000000 + number % ORGANIZATION_ACCOUNTS:012d}"
        name = f"person{number:05d}"
        arn = f"arn:aws:sts::{account}:assumed-role/{role}/{name}"
        shards[catalog_shard(arn)].add(catalog_entry(account, name, f"{name}\n{arn}"))
    catalog = [page for shard, entries in shards.items() for page in bulk_pages(shard, entries)]
    return others + catalog


def _catalog(table: str) -> list[list[str]]:
    """The catalog's shards as the table holds them."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    keys = [catalog_key(shard) for shard in range(CATALOG_SHARDS)]
    shards: list[list[str]] = []
    for start in range(0, len(keys), 100):
        found = client.batch_get_item(RequestItems={table: {"Keys": keys[start : start + 100]}})
        shards += [catalog_entries([item]) for item in found["Responses"][table]]
    return shards


def _write(table: Any, items: list[dict[str, Any]], copies: int) -> None:
    """Into moto's backend, each event item `copies` times: moto's Item built once
    and cloned, its attribute values shared (the test only reads)."""
    for item in items:
        for one in _copies(item, copies):
            base = table.put_item(one)
            if not one["pk"]["S"].startswith("EVENT#") or copies == 1:
                continue
            for copy in range(1, copies):
                event_id = f"{one['event_id']['S']}-{copy:03d}"
                clone = copy_module.copy(base)
                clone.attrs = dict(base.attrs)
                clone.attrs["pk"] = clone.hash_key = DynamoType({"S": f"EVENT#{event_id}"})
                clone.attrs["event_id"] = DynamoType({"S": event_id})
                if "at" in one:
                    epoch = one["at"]["S"].split("#", 1)[0]
                    clone.attrs["at"] = DynamoType({"S": f"{epoch}#{event_id}"})
                table.items[clone.hash_key][clone.range_key] = clone


# (index, items it read) for each Query, in order: what DynamoDB bills and what grows
# with the table if a read is filtered.
READS: list[tuple[str, int]] = []


def _index_asked(params: dict[str, Any], **_: Any) -> None:
    READS.append((params.get("IndexName", ""), 0))


def _items_read(parsed: dict[str, Any], **_: Any) -> None:
    READS[-1] = (READS[-1][0], parsed.get("ScannedCount", 0))


@pytest.fixture(scope="module")
def histories() -> Iterator[dict[int, tuple[SigninHistory, list[str]]]]:
    with mock_aws():
        undo_partitions = partition_queries()
        try:
            client = boto3.client("dynamodb", region_name="us-east-1")
            backend = dynamodb_backends[ACCOUNT]["us-east-1"]
            base = ledger_items(spread(1_000, days=90, now=NOW), now=NOW, table="base")
            found: dict[int, tuple[SigninHistory, list[str]]] = {}
            for size, copies in COPIES.items():
                name = f"ledger-{size}"
                create_ledger_table(client, name, poll_seconds=0)
                items = _organization(base) if size == ORGANIZATION else base
                _write(backend.get_table(name), items, copies)
                reader = boto3.client("dynamodb", region_name="us-east-1")
                calls: list[str] = []
                reader.meta.events.register(
                    "before-call.dynamodb.*",
                    lambda model, calls=calls, **_: calls.append(model.name),
                )
                reader.meta.events.register("provide-client-params.dynamodb.Query", _index_asked)
                reader.meta.events.register("after-call.dynamodb.Query", _items_read)
                found[size] = (SigninHistory(reader, name, clock=lambda: NOW), calls)
            yield found
        finally:
            undo_partitions()


def _ask(history: SigninHistory, calls: list[str], text: str) -> tuple[int, int, Any]:
    calls.clear()
    result = history.recent(parse_command(text, SETTINGS).to_query(NOW))
    assert "Scan" not in calls
    return len(calls), len(result.entries), result


@pytest.mark.parametrize("text", COMMANDS)
def test_every_command_is_answered_in_at_most_five_calls_at_any_size(
    histories: dict[int, tuple[SigninHistory, list[str]]], text: str
) -> None:
    small_calls, small_entries, small = _ask(*histories[1_000], text)
    large_calls, large_entries, large = _ask(*histories[100_000], text)
    org_calls, _, org = _ask(*histories[ORGANIZATION], text)

    # 50,000 principals in the catalog change no call and no answer
    assert org_calls == small_calls and org.entries == small.entries

    assert small_calls <= MAX_CALLS and large_calls <= MAX_CALLS
    assert large_calls <= small_calls
    # Whole: as many entries as asked for, or every match in the window.
    assert large_entries >= small_entries
    limit = parse_command(text, SETTINGS).limit
    if large.matched is not None:
        assert large_entries == min(limit, large.matched)


def test_the_hundredfold_table_counts_a_hundred_times_as_many(
    histories: dict[int, tuple[SigninHistory, list[str]]],
) -> None:
    _, _, small = _ask(*histories[1_000], "since 90d")
    _, _, large = _ask(*histories[100_000], "since 90d")

    assert small.window.signins > 900
    assert large.window.signins == 100 * small.window.signins
    assert large.window.failed == 100 * small.window.failed


def test_a_name_that_matches_nothing_reads_no_signin(
    histories: dict[int, tuple[SigninHistory, list[str]]],
) -> None:
    history, calls = histories[100_000]

    count, entries, _ = _ask(history, calls, "nobody-at-all since 90d")

    assert entries == 0
    # the counters and the catalog (92 + 64 keys: two reads), the window's first
    # partial hour: not one sign-in
    assert calls == ["BatchGetItem", "BatchGetItem", "Query"] and count == 3


def test_the_organizations_catalog_is_one_read_of_every_principal(
    histories: dict[int, tuple[SigninHistory, list[str]]],
) -> None:
    history, calls = histories[ORGANIZATION]

    # A WHO that matches a hundred-odd people of the organization (person123,
    # person1230..., person12300...): one read, with the day's counters, finds them
    # all; catalogued without their keys (as before the rings), their directory items
    # cannot be named, and as they have more partitions than calls are left, the
    # window's sign-ins are read filtered.
    count, entries, result = _ask(history, calls, "person123 since 1d")

    assert entries == 0 and result.window.signins > 0
    assert calls == ["BatchGetItem", "Query", "Query"] and count == 3
    assert sum(map(len, _catalog(f"ledger-{ORGANIZATION}"))) == ORGANIZATION_PRINCIPALS


def test_the_window_never_reaches_past_its_start(
    histories: dict[int, tuple[SigninHistory, list[str]]],
) -> None:
    history, calls = histories[100_000]

    for text in ("50 since 2h", "50 alice since 1d", "50 failed since 30m"):
        _, _, result = _ask(history, calls, text)
        since = NOW - parse_command(text, SETTINGS).window
        assert all(since <= entry.event_time <= NOW for entry in result.entries)


@pytest.mark.parametrize(
    "text",
    [
        "carol nomfa since 90d",
        "bob failed since 90d",
        "alice nomfa since 90d",
        "account staging failed since 90d",
        "account 111122223333 root since 90d",
        "dave",
        "account 444455556666 since 30d",
    ],
)
def test_a_name_or_an_account_with_a_category_reads_only_what_it_lists(
    histories: dict[int, tuple[SigninHistory, list[str]]], text: str
) -> None:
    history, _ = histories[100_000]
    READS.clear()

    result = history.recent(parse_command(text, SETTINGS).to_query(NOW))

    # Besides the window's partial hour (on the index of all sign-ins), the listing's
    # reads: each item read is a sign-in listed.
    listing = [(index, read) for index, read in READS if index != SIGNIN_INDEX]
    assert result.entries
    assert sum(read for _, read in listing) == len(result.entries), listing


@pytest.mark.parametrize("size", [1_000, 100_000])
def test_a_name_part_of_many_names_reads_their_rings_then_their_newest_signins(
    histories: dict[int, tuple[SigninHistory, list[str]]], size: int
) -> None:
    history, calls = histories[size]

    # 8 names, 3 calls left after the counters with the catalog and the first hour:
    # the 24 principals' directory items, then the 10 newest of their sign-ins.
    count, entries, _ = _ask(history, calls, "user/ since 1d")

    assert entries == 10
    assert calls == ["BatchGetItem", "Query", "BatchGetItem", "BatchGetItem"] and count == 4
    assert READS[-1][1] <= 100  # the first hour's counts, not a page of sign-ins
