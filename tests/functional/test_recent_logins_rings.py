"""GIVEN ledgers of many principals whose names share a part, with rare and dense
sign-ins, failed and without MFA, recorded out of order and backfilled older than
what a principal's ring holds WHEN /recent-logins asks for that name part (with a
category, an account, any window and length) THEN the answer is the newest matching
sign-ins of the window, exactly those every matching sign-in sorted gives; and with
no category it takes the rings' four calls, however many names match."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.judge.rules import evaluate
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.recent_logins.queries import HistoryQuery
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.store.directory import (
    directory_update,
    placement_for,
    transact_with_directory,
)
from chalicelib.store.ledger import Ledger
from chalicelib.store.listing import categories_of, in_directory, who_text
from chalicelib.store.provision import create_ledger_table
from chalicelib.store.recent_ring import parse_ring, ring_of
from chalicelib.store.schema import RING_SIZE, Category, directory_key
from localdev.signins import Login

NOW = datetime(2026, 11, 20, 15, 55, 7, tzinfo=UTC)
ACCOUNTS = ("111122223333", "444455556666")
# Six names with "team" in them (more than the calls left after the counts), two
# that do not, each an IAM user or an Identity Center session in either account.
NAMES = ("team-ann", "team-bo", "team-cy", "team-di", "team-ed", "team-flo", "ops-gus", "hal")
SETTINGS = Settings()
_tables = itertools.count()

login = st.builds(
    lambda name, kind, account, age, success, mfa: (name, kind, account, age, success, mfa),
    # two names sign in often (their rings fill and drop), the others rarely
    st.sampled_from((*NAMES[:2] * 6, *NAMES)),
    st.sampled_from(("IAMUser", "IAMUser", "AssumedRole", "Root")),
    st.sampled_from((ACCOUNTS[0], *ACCOUNTS)),
    # seconds before now: a few dense minutes, and rare ones over 90 days
    st.one_of(st.integers(0, 1_800), st.integers(0, 90 * 86_400)),
    st.booleans(),
    st.sampled_from((True, True, False)),
)


def _signins(logins: list[tuple[str, str, str, int, bool, bool]]) -> list[SignIn]:
    found = []
    for number, (name, kind, account, age, success, mfa) in enumerate(logins):
        at = NOW - timedelta(seconds=age)
        record = Login(f"evt-{number:04d}", at, name, kind, account, success=success, mfa=mfa)
        found.append(parse_signin(record.record(), received_at=NOW))
    return found


def _ledger(client: Any, signins: list[SignIn]) -> str:
    table = f"rings-{next(_tables)}"
    create_ledger_table(client, table, poll_seconds=0)
    ledger = Ledger(client, table, clock=lambda: NOW)
    for signin in signins:
        ledger.record(signin, evaluate(signin, SETTINGS))
    return table


def _expected(signins: list[SignIn], query: HistoryQuery) -> list[str]:
    """Every matching sign-in of the window, newest first: what a listing must show."""
    since = int(query.since.timestamp())
    matching = [
        signin
        for signin in signins
        if in_directory(signin)
        and query.who in who_text(signin)
        and (not query.account_ids or signin.account_id in query.account_ids)
        and query.categories <= categories_of(signin)
        and int(signin.event_time.timestamp()) >= since
    ]
    matching.sort(key=lambda s: (int(s.event_time.timestamp()), s.event_id), reverse=True)
    return [signin.event_id for signin in matching[: query.limit]]


# A query of the ledger: WHO, categories, account, limit, window.
Query = tuple[str, frozenset[Category], str, int, timedelta]
queries = st.tuples(
    st.sampled_from(("team", "team-", "user/team", "t")),
    st.sampled_from(
        (
            frozenset(),
            frozenset({Category.FAILED}),
            frozenset({Category.NOMFA}),
            frozenset({Category.FAILED, Category.NOMFA}),
        )
    ),
    st.sampled_from(("", ACCOUNTS[1])),
    st.sampled_from((1, 3, 10, 25)),
    st.sampled_from((timedelta(minutes=20), timedelta(days=1), timedelta(days=90))),
)


# Building a ledger is what costs: each one generated answers several queries.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    logins=st.lists(login, min_size=1, max_size=90),
    order=st.randoms(use_true_random=False),
    asked=st.lists(queries, min_size=1, max_size=8),
)
def test_a_name_part_of_many_names_lists_the_newest_matching_signins(
    aws: None,
    logins: list[tuple[str, str, str, int, bool, bool]],
    order: Any,
    asked: list[Query],
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    signins = _signins(logins)
    arrivals = list(signins)
    order.shuffle(arrivals)  # out of order, as retries and backfills arrive
    table = _ledger(client, arrivals)
    history = SigninHistory(client, table, clock=lambda: NOW)
    for who, categories, account, limit, window in asked:
        query = HistoryQuery(
            limit=limit, since=NOW - window, categories=categories, who=who, account_id=account
        )

        result = history.recent(query)

        assert [entry.event_id for entry in result.entries] == _expected(signins, query)
        names = {s.display_name for s in signins if who in who_text(s) and in_directory(s)}
        if not categories and limit <= RING_SIZE and len(names) > 3:
            # the counters with the catalog (two reads past 35 days), the first hour,
            # the rings, the sign-ins
            assert result.calls <= (4 if window <= timedelta(days=30) else 5)


def test_a_backfill_older_than_a_full_ring_leaves_it_and_is_still_listed(aws: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    newest = [
        (name, "IAMUser", ACCOUNTS[0], 60 * minute, True, True)
        for minute in range(RING_SIZE + 2)
        for name in NAMES[:5]
    ]
    backfill = [
        ("team-ann", "IAMUser", ACCOUNTS[0], 86_400 + second, True, False) for second in range(3)
    ]
    signins = _signins(newest + backfill)
    table = _ledger(client, signins)  # the backfill last, older than every ring
    item = client.get_item(TableName=table, Key=directory_key(signins[0].principal_key))["Item"]
    ring = parse_ring(ring_of(item)) or ()

    assert len(ring) == RING_SIZE
    assert all(entry.event_id not in {s.event_id for s in signins[-3:]} for entry in ring)
    history = SigninHistory(client, table, clock=lambda: NOW)
    nomfa = HistoryQuery(
        limit=10, since=NOW - timedelta(days=2), who="team", categories=frozenset({Category.NOMFA})
    )
    assert [e.event_id for e in history.recent(nomfa).entries] == _expected(signins, nomfa)
    every = HistoryQuery(limit=10, since=NOW - timedelta(days=2), who="team")
    result = history.recent(every)
    assert [e.event_id for e in result.entries] == _expected(signins, every)
    assert result.calls == 4


def test_a_commit_on_a_stale_ring_is_a_lost_race_placed_again(aws: None) -> None:
    client: Any = boto3.client("dynamodb", region_name="us-east-1")
    first, second, third = _signins(
        [("team-ann", "IAMUser", ACCOUNTS[0], age, True, True) for age in (300, 200, 100)]
    )
    table = _ledger(client, [first])
    key = directory_key(first.principal_key)
    stale = client.get_item(TableName=table, Key=key)["Item"]
    _ledger_into(client, table, third)

    # `second` read the ring before `third` was committed: its write is refused...
    update = directory_update(second, table, placement_for(second, stale), stale)
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[update])
    # ...and placed again on a new read, the ring holds all three, newest first.
    assert transact_with_directory(client, table, second, []) is None
    ring = parse_ring(ring_of(client.get_item(TableName=table, Key=key)["Item"])) or ()
    assert [entry.event_id for entry in ring] == [third.event_id, second.event_id, first.event_id]


def _ledger_into(client: Any, table: str, signin: SignIn) -> None:
    Ledger(client, table, clock=lambda: NOW).record(signin, evaluate(signin, SETTINGS))
