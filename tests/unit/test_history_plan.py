"""GIVEN the principal directory and a `/recent-logins` query with a name or an account
WHEN the history plans its reads THEN it reads the partitions that hold only what it
lists when there are such, the denser of the others when there are not, and never
more partitions than the calls left.

The plan is pure (directory and counts in, partitions out), so these run without
DynamoDB; tests/unit/test_recent_logins_calls.py checks the reads it leads to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.recent_logins.plan import principal_plan
from chalicelib.recent_logins.queries import Counts, HistoryQuery
from chalicelib.store.directory import Principal
from chalicelib.store.indexes import (
    ACCOUNT_INDEX,
    CATEGORY_ACCOUNT_INDEXES,
    CATEGORY_NAME_INDEXES,
    LISTED,
    NAME_INDEX,
    SIGNIN_INDEX,
)
from chalicelib.store.schema import Category

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PROD, STAGING, SANDBOX = "111122223333", "444455556666", "777788889999"
FAILED, NOMFA = Category.FAILED, Category.NOMFA


def principal(name: str, account: str, signins: int, **counts: int) -> Principal:
    return Principal(
        principal=f"arn:aws:iam::{account}:user/{name}",
        name=name,
        who=f"{name}\narn:aws:iam::{account}:user/{name}",
        account_id=account,
        first_seen=int((NOW - timedelta(days=60)).timestamp()),
        last_seen=int((NOW - timedelta(hours=1)).timestamp()),
        counts={"signins": signins, **counts},
    )


DIRECTORY = [
    principal("alice", PROD, 400, failed=30, nomfa=2, failed_nomfa=2),
    principal("alice", STAGING, 100, failed=10),
    principal("alice", SANDBOX, 100, failed=10),
    principal("bob", PROD, 300, failed=200),
    principal("carol", STAGING, 50, nomfa=40),
    *(principal(f"temp{n}", PROD, 10, failed=1) for n in range(8)),
]
WINDOW = Counts({"signins": 1100, "failed": 258, "nomfa": 42, "failed_nomfa": 0})


def plan(
    who: str = "",
    account: str = "",
    categories: frozenset[Category] = frozenset(),
    budget: int = 2,
) -> list[tuple[str, str, tuple[tuple[str, str, str], ...]]]:
    query = HistoryQuery(
        limit=10, since=NOW - timedelta(days=7), categories=categories, who=who, account_id=account
    )
    return [
        (p.index, p.value, p.filters)
        for p in principal_plan(query, DIRECTORY, WINDOW, budget=budget)
    ]


def test_a_name_reads_its_own_partition_unfiltered() -> None:
    assert plan(who="alice") == [(NAME_INDEX, "alice", ())]


def test_a_name_with_a_category_reads_that_categorys_partition_of_the_name() -> None:
    assert plan(who="carol", categories=frozenset({NOMFA})) == [
        (CATEGORY_NAME_INDEXES[NOMFA], "carol", ())
    ]


def test_an_account_with_a_category_reads_that_categorys_partition_of_the_account() -> None:
    assert plan(account=PROD, categories=frozenset({FAILED})) == [
        (CATEGORY_ACCOUNT_INDEXES[FAILED], PROD, ())
    ]


def test_a_name_and_an_account_read_the_denser_of_the_two_partitions_filtered() -> None:
    # alice's failures: 30 of her 50 are in prod; prod's: 30 of 238 are alice's.
    assert plan(who="alice", account=PROD, categories=frozenset({FAILED})) == [
        (CATEGORY_NAME_INDEXES[FAILED], "alice", (("account_id", "=", PROD),))
    ]
    # bob's failures all are in prod, and so the name's partition needs no filter.
    assert plan(who="bob", account=PROD, categories=frozenset({FAILED})) == [
        (CATEGORY_NAME_INDEXES[FAILED], "bob", ())
    ]


def test_two_categories_read_the_rarer_ones_partition_filtered_by_the_other() -> None:
    assert plan(who="alice", categories=frozenset({FAILED, NOMFA})) == [
        (CATEGORY_NAME_INDEXES[NOMFA], "alice", (("categories", "contains", "failed"),))
    ]


def test_more_names_than_calls_left_read_the_windows_signins_filtered() -> None:
    assert plan(who="temp", budget=2) == [(SIGNIN_INDEX, LISTED, (("who", "contains", "temp"),))]
    assert len(plan(who="temp", budget=8)) == 8  # one partition a name, when they fit


def test_a_name_that_matches_nothing_or_not_in_the_window_reads_nothing() -> None:
    assert plan(who="nobody") == []
    assert plan(who="carol", categories=frozenset({FAILED})) == []


def test_an_account_alone_reads_its_partition() -> None:
    assert plan(account=STAGING) == [(ACCOUNT_INDEX, STAGING, ())]


def test_with_no_call_left_one_partition_is_still_read() -> None:
    # A directory of many pages can use up the calls: the answer takes one more.
    assert plan(who="carol", budget=0) == [(NAME_INDEX, "carol", ())]
    assert plan(who="temp", budget=0) == [(SIGNIN_INDEX, LISTED, (("who", "contains", "temp"),))]
