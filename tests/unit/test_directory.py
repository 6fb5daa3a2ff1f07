"""GIVEN sign-ins recorded in the ledger WHEN a principal is seen for the first time,
again, earlier than before, or twice for one event THEN its directory item says who it
is, when it was first and last seen and how many sign-ins it made, exactly; and
`manage.py reindex` brings older items up to the schema, once."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.judge.rules import evaluate
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.recent_logins.queries import HistoryQuery
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.store.catalog_entry import catalog_entry
from chalicelib.store.catalog_pages import catalog_entries, pack_catalog
from chalicelib.store.directory import Placement, catalog_principals, directory_update
from chalicelib.store.directory_tally import DirectoryTally
from chalicelib.store.indexes import CATEGORY_ACCOUNT_ATTRIBUTES, CATEGORY_NAME_ATTRIBUTES
from chalicelib.store.ledger import Ledger
from chalicelib.store.recent_ring import parse_ring, ring_of
from chalicelib.store.schema import (
    CATALOG_ENTRIES,
    CATALOG_SEPARATOR,
    CATALOG_SHARDS,
    RING_SIZE,
    SCHEMA_ATTRIBUTE,
    Category,
    catalog_key,
    day_counter_key,
    day_hours_key,
    directory_key,
    event_key,
)
from localdev.signins import Login
from tests.conftest import TABLE
from tools.reindex import Reindex

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ALICE = "arn:aws:iam::111122223333:user/alice"
OLDUSER = "arn:aws:iam::111122223333:user/olduser"


def record(dynamodb: Any, *logins: Login) -> list[bool]:
    ledger = Ledger(dynamodb, TABLE, clock=lambda: NOW)
    firsts = []
    for login in logins:
        signin = parse_signin(login.record(), received_at=NOW)
        firsts.append(ledger.record(signin, evaluate(signin, Settings())).first_time)
    return firsts


def entry(dynamodb: Any, principal: str = ALICE) -> dict[str, Any]:
    item: dict[str, Any] = dynamodb.get_item(TableName=TABLE, Key=directory_key(principal))["Item"]
    return item


def seen(item: dict[str, Any]) -> tuple[datetime, datetime]:
    return (
        datetime.fromtimestamp(int(item["first_seen"]["N"]), UTC),
        datetime.fromtimestamp(int(item["last_seen"]["N"]), UTC),
    )


def counts(item: dict[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in item.items() if name.startswith("count_")}


def test_a_principal_is_kept_on_first_sight(dynamodb: Any) -> None:
    record(dynamodb, Login("e-1", NOW - timedelta(hours=1), name="alice", success=False))

    item = entry(dynamodb)

    assert item["display_name"]["S"] == "alice"
    assert item["arn"]["S"] == ALICE
    assert item["account_id"]["S"] == "111122223333"
    assert item["principal_type"]["S"] == "iam_user"
    assert seen(item) == (NOW - timedelta(hours=1), NOW - timedelta(hours=1))
    assert counts(item) == {"count_signins": 1, "count_failed": 1}


def test_a_second_signin_moves_last_seen_and_an_older_one_first_seen(dynamodb: Any) -> None:
    record(
        dynamodb,
        Login("e-2", NOW - timedelta(hours=2), name="alice"),
        Login("e-1", NOW - timedelta(hours=1), name="alice"),  # newer
        Login("e-0", NOW - timedelta(days=3), name="alice", success=False),  # a backfill
        Login("e-mid", NOW - timedelta(days=1), name="alice"),  # in between
    )

    item = entry(dynamodb)

    assert seen(item) == (NOW - timedelta(days=3), NOW - timedelta(hours=1))
    assert counts(item) == {"count_signins": 4, "count_failed": 1}


def test_a_duplicate_changes_nothing(dynamodb: Any) -> None:
    login = Login("e-dup", NOW - timedelta(hours=1), name="alice", kind="Root", mfa=False)

    firsts = record(dynamodb, login, login, login)

    item = entry(dynamodb, "arn:aws:iam::111122223333:root")
    assert firsts == [True, False, False]
    # each category and their combination, so `root nomfa` is counted exactly
    assert counts(item) == {
        "count_signins": 1,
        "count_root": 1,
        "count_nomfa": 1,
        "count_nomfa_root": 1,
    }


def test_steps_inside_a_signin_keep_no_directory_item(dynamodb: Any) -> None:
    from tests.conftest import load_event

    signin = parse_signin(load_event("check_mfa.json"), received_at=NOW)
    Ledger(dynamodb, TABLE, clock=lambda: NOW).record(signin, evaluate(signin, Settings()))

    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=directory_key(signin.principal_key))


# More sign-ins than a ring holds: newest first, oldest first, and shuffled.
SIGNINS = RING_SIZE + 4
ORDERS = [
    tuple(range(SIGNINS)),
    tuple(reversed(range(SIGNINS))),
    tuple(random.Random(3).sample(range(SIGNINS), SIGNINS)),
]


@pytest.mark.parametrize("order", ORDERS)
def test_the_bulk_tally_leaves_what_the_transactions_leave(
    dynamodb: Any, order: tuple[int, ...]
) -> None:
    logins = [
        Login(f"e-{n}", NOW - timedelta(hours=n * 5), name="alice", success=n % 2 == 0)
        for n in range(SIGNINS)
    ]
    record(dynamodb, *(logins[n] for n in order))
    tally = DirectoryTally()
    for login in logins:
        tally.add(parse_signin(login.record(), received_at=NOW))

    [bulk, catalog] = tally.items()

    assert bulk == entry(dynamodb)
    # the ring holds the newest, whatever the order they came in
    ring = parse_ring(ring_of(bulk)) or ()
    assert [ring_entry.event_id for ring_entry in ring] == [f"e-{n}" for n in range(RING_SIZE)]
    # and the catalog's shard holds the principal once, as its first record left it
    stored = dynamodb.get_item(TableName=TABLE, Key={"pk": catalog["pk"], "sk": catalog["sk"]})
    assert catalog_entries([stored["Item"]]) == catalog_entries([catalog])
    assert len(catalog_entries([catalog])) == 1


def test_each_placement_names_only_what_it_uses() -> None:
    signin = parse_signin(Login("e", NOW).record(), received_at=NOW)
    for placement in Placement:
        update = directory_update(signin, TABLE, placement)["Update"]
        text = update["UpdateExpression"] + " " + update["ConditionExpression"]
        assert all(name in text for name in update["ExpressionAttributeNames"])
        assert all(value in text for value in update["ExpressionAttributeValues"])


# --- reindex ---------------------------------------------------------------------------


def _as_first_schema(dynamodb: Any, event_id: str, *, indexed: bool) -> None:
    """Rewrite a recorded item as the first schema left it: no schema version, and
    either no index attributes at all (before indexes) or the retired ones."""
    item = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id))["Item"]
    kept = {
        name: value
        for name, value in item.items()
        if name
        not in {
            SCHEMA_ATTRIBUTE,
            "listed",
            "listed_failed",
            "listed_root",
            "listed_nomfa",
            "principal_name",
            "listed_account",
            "principal",
        }
    }
    if not indexed:
        for name in ("day", "at", "who", "categories"):
            kept.pop(name, None)
    else:
        kept["failed_month"] = {"S": "2026-11"}
    dynamodb.put_item(TableName=TABLE, Item=kept)


def test_reindex_brings_older_items_up_to_the_schema_once(dynamodb: Any) -> None:
    record(
        dynamodb,
        Login("never-indexed", NOW - timedelta(hours=3), name="olduser", success=False),
        Login("indexed", NOW - timedelta(hours=2), name="olduser"),
        Login("current", NOW - timedelta(hours=1), name="alice"),
    )
    # As the first schema left them: one never counted, one counted but not listed,
    # and neither principal in the directory.
    for event_id, indexed in (("never-indexed", False), ("indexed", True)):
        _as_first_schema(dynamodb, event_id, indexed=indexed)
    dynamodb.delete_item(
        TableName=TABLE, Key=directory_key("arn:aws:iam::111122223333:user/olduser")
    )
    dynamodb.update_item(
        TableName=TABLE,
        Key=day_counter_key("2026-11-20"),
        UpdateExpression="ADD signins :minus, failed :minus",
        ExpressionAttributeValues={":minus": {"N": "-1"}},
    )
    dynamodb.update_item(
        TableName=TABLE,
        Key=day_hours_key("2026-11-20"),
        UpdateExpression="ADD h09_signins :minus, h09_failed :minus",
        ExpressionAttributeValues={":minus": {"N": "-1"}},
    )
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)
    ledger = Ledger(dynamodb, TABLE, clock=lambda: NOW)
    before = history.recent(HistoryQuery(limit=10, since=NOW - timedelta(days=1), who="olduser"))

    first = Reindex(dynamodb, ledger, stream=io.StringIO()).run()
    second = Reindex(dynamodb, ledger, stream=io.StringIO()).run()

    after = history.recent(HistoryQuery(limit=10, since=NOW - timedelta(days=1), who="olduser"))
    everyone = history.recent(HistoryQuery(limit=10, since=NOW - timedelta(days=1)))
    assert before.entries == ()
    assert [e.event_id for e in after.entries] == ["indexed", "never-indexed"]
    assert (everyone.window.signins, everyone.window.failed) == (3, 1)
    assert (first.scanned, first.upgraded, first.counted) == (2, 2, 1)
    assert (second.scanned, second.upgraded) == (0, 0)
    olduser = entry(dynamodb, OLDUSER)
    assert counts(olduser) == {"count_signins": 2, "count_failed": 1}
    assert seen(olduser) == (NOW - timedelta(hours=3), NOW - timedelta(hours=2))
    retired = dynamodb.get_item(TableName=TABLE, Key=event_key("indexed"))["Item"]
    assert "failed_month" not in retired


def test_reindex_shows_its_progress(dynamodb: Any) -> None:
    record(dynamodb, *(Login(f"e-{n}", NOW - timedelta(hours=n)) for n in range(3)))
    for n in range(3):
        _as_first_schema(dynamodb, f"e-{n}", indexed=True)
    stream = io.StringIO()

    Reindex(dynamodb, Ledger(dynamodb, TABLE, clock=lambda: NOW), stream=stream).run()

    assert "reindex: 100%" in stream.getvalue()


def test_reindex_lists_schema_2_signins_by_category_without_counting_them_again(
    dynamodb: Any,
) -> None:
    record(
        dynamodb,
        Login("failed-1", NOW - timedelta(hours=3), name="olduser", success=False),
        Login("ok-1", NOW - timedelta(hours=2), name="olduser"),
    )
    # As schema 2 left them: in the directory and the counters, not in the category
    # indexes by name or account.
    for event_id in ("failed-1", "ok-1"):
        item = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id))["Item"]
        added = {*CATEGORY_NAME_ATTRIBUTES.values(), *CATEGORY_ACCOUNT_ATTRIBUTES.values()}
        kept = {name: value for name, value in item.items() if name not in added}
        kept[SCHEMA_ATTRIBUTE] = {"N": "2"}
        dynamodb.put_item(TableName=TABLE, Item=kept)
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)
    query = HistoryQuery(
        limit=10,
        since=NOW - timedelta(days=1),
        who="olduser",
        categories=frozenset({Category.FAILED}),
    )
    directory_before = counts(entry(dynamodb, OLDUSER))
    before = history.recent(query)

    summary = Reindex(dynamodb, Ledger(dynamodb, TABLE, clock=lambda: NOW)).run()

    after = history.recent(query)
    assert before.entries == ()
    assert [e.event_id for e in after.entries] == ["failed-1"]
    assert (summary.scanned, summary.upgraded, summary.counted) == (2, 2, 0)
    assert counts(entry(dynamodb, OLDUSER)) == directory_before
    assert after.window.signins == 2  # the day counters, untouched


def test_reindex_puts_a_schema_3_directory_into_the_catalog_once(dynamodb: Any) -> None:
    # GIVEN principals recorded by schema 3: directory items, and no catalog
    record(dynamodb, Login("c-1", NOW - timedelta(hours=2), name="alice"))
    record(dynamodb, Login("c-2", NOW - timedelta(hours=1), name="bob", account_id="444455556666"))
    for shard in range(CATALOG_SHARDS):
        dynamodb.delete_item(TableName=TABLE, Key=catalog_key(shard))
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)
    query = HistoryQuery(limit=10, since=NOW - timedelta(days=1), who="bob")
    assert history.recent(query).entries == ()  # WHO finds no one: the catalog is empty

    # WHEN reindex runs, twice
    ledger = Ledger(dynamodb, TABLE, clock=lambda: NOW)
    first = Reindex(dynamodb, ledger, stream=io.StringIO()).run()
    Reindex(dynamodb, ledger, stream=io.StringIO()).run()

    # THEN WHO finds them again, each principal in the catalog once
    assert first.catalogued == 2
    assert [entry.event_id for entry in history.recent(query).entries] == ["c-2"]
    shards = [
        dynamodb.get_item(TableName=TABLE, Key=catalog_key(shard)).get("Item", {})
        for shard in range(CATALOG_SHARDS)
    ]
    entries = [line for item in shards for line in item.get("entries", {}).get("SS", [])]
    assert sorted(line.split("\t")[1] for line in entries) == ["alice", "bob"]


def test_packing_the_catalog_keeps_every_principal_and_what_comes_after(dynamodb: Any) -> None:
    # GIVEN a shard with loose entries (each principal's first sign-in added one)
    logins = [Login(f"p-{n}", NOW - timedelta(minutes=n), name=f"user{n:03d}") for n in range(60)]
    record(dynamodb, *logins)
    history = SigninHistory(dynamodb, TABLE, clock=lambda: NOW)

    def found(who: str) -> list[str]:
        query = HistoryQuery(limit=50, since=NOW - timedelta(days=1), who=who)
        return sorted(entry.display_name for entry in history.recent(query).entries)

    before = found("user00")

    # WHEN the hourly run packs it, twice
    first = pack_catalog(dynamodb, TABLE, pack_from=1)
    second = pack_catalog(dynamodb, TABLE, pack_from=1)
    record(dynamodb, Login("p-late", NOW, name="user00late"))

    # THEN WHO finds the same principals, and one added after the packing
    assert first.entries > 0 and second.entries == 0 and second.further_pages == 0
    assert len(before) == 10 and found("user00") == sorted([*before, "user00late"])
    shards = [
        dynamodb.get_item(TableName=TABLE, Key=catalog_key(shard)).get("Item", {})
        for shard in range(CATALOG_SHARDS)
    ]
    assert sum(len(item.get("entries", {}).get("SS", [])) for item in shards) == 1
    packed = [item["packed"]["S"].split(CATALOG_SEPARATOR) for item in shards if "packed" in item]
    assert sorted(line.split("\t")[1] for lines in packed for line in lines) == [
        f"user{n:03d}" for n in range(60)
    ]


ARNS = r"arn:aws:(iam|sts)::[0-9]{12}:(user|assumed-role)/[A-Za-z0-9_.+=@-]{1,64}"


@given(arn=st.from_regex(ARNS, fullmatch=True), display=st.text(min_size=1, max_size=30))
def test_a_catalog_entry_names_its_principal_s_directory_item(arn: str, display: str) -> None:
    for key in (arn, f"111122223333/{display}"):
        entry = catalog_entry("111122223333", display.lower(), f"{display}\n{arn}".lower(), key)

        principals, _ = catalog_principals([{CATALOG_ENTRIES: {"SS": [entry]}}], "")

        readable = "\t" not in key and "\x1e" not in key
        assert [principal.key for principal in principals] == [key if readable else ""]
