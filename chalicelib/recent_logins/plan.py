"""Which index partitions answer a `/recent-logins` query: pure, from the window's
counts and the principal directory, so that the reads in `history.py` are the plan's.

A name or an account with a category reads that category's partition for the name
or account, so each item read is a sign-in listed; what cannot be answered so (a name
and an account together, two categories) reads the partition whose items match most
often, filtered, as the directory's counts tell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from chalicelib.recent_logins.queries import Counts, HistoryQuery
from chalicelib.store.directory import Principal
from chalicelib.store.indexes import (
    ACCOUNT_INDEX,
    ACCOUNT_PARTITION_ATTRIBUTE,
    CATEGORY_ACCOUNT_ATTRIBUTES,
    CATEGORY_ACCOUNT_INDEXES,
    CATEGORY_INDEXES,
    CATEGORY_NAME_ATTRIBUTES,
    CATEGORY_NAME_INDEXES,
    CATEGORY_PARTITION_ATTRIBUTES,
    LISTED,
    NAME_INDEX,
    NAME_PARTITION_ATTRIBUTE,
    SIGNIN_INDEX,
    SIGNIN_PARTITION_ATTRIBUTE,
)
from chalicelib.store.schema import Category


@dataclass(frozen=True)
class Partition:
    """One index partition to read newest first, and what to filter in it."""

    index: str
    hash_attribute: str
    value: str
    filters: tuple[tuple[str, str, str], ...] = ()  # (attribute, operator, value)
    newest: int = 2**62  # the newest sign-in it can hold (epoch), from the directory
    density: float = 1.0  # the share of its sign-ins that match


def principal_plan(
    query: HistoryQuery,
    everyone: list[Principal],
    window: Counts,
    *,
    budget: int,
    others: int = 0,
) -> list[Partition]:
    """WHO or account: the partitions to read, none when no principal that matches
    signed in within the window. Ways to read the same sign-ins: each matching name's
    partition, the account's, or the window's sign-ins filtered by name and account;
    the one whose partitions hold the fewest sign-ins that do not match is read, if
    `budget` (the calls left) allows. `everyone` needs to hold only the principals of
    the names and the account that match; `others` counts the rest (of unknown counts,
    from the catalog), which only the window's sign-ins hold."""
    since = int(query.since.timestamp())
    wanted = [
        principal
        for principal in everyone
        if matches(principal, query) and principal.last_seen >= since
        if principal.count(query.categories) > 0
    ]
    if not wanted:
        return []
    by_name: dict[str, list[Principal]] = {}
    for principal in everyone:
        by_name.setdefault(principal.name, []).append(principal)
    plans: list[list[Partition]] = []
    if query.who:
        plans.append(
            [
                _subject_partition(_NAME, name, query, by_name[name], wanted, window)
                for name in sorted({principal.name for principal in wanted})
            ]
        )
    if query.account_ids:  # each account that signed in within the window
        plans.append(
            [
                _subject_partition(
                    _ACCOUNT,
                    account,
                    query,
                    [p for p in everyone if p.account_id == account],
                    wanted,
                    window,
                )
                for account in sorted({principal.account_id for principal in wanted})
            ]
        )
    shared = [_shared_partition(query, wanted, everyone, window, others)]
    plans.append(shared)
    # One partition always fits: a directory of many pages may have used up the calls,
    # and an answer in more calls beats none.
    fitting = [plan for plan in plans if len(plan) <= max(1, budget)]
    return max(fitting, key=lambda plan: min(partition.density for partition in plan))


def driving_category(categories: frozenset[Category], window: Counts) -> Category | None:
    """The category with the fewest sign-ins in the window: its index is read."""
    if not categories:
        return None
    return min(categories, key=lambda category: window.of(frozenset({category})))


def account_partition(query: HistoryQuery, window: Counts) -> Partition:
    """An account alone: its own partition (of the rarest category asked for, in the
    window), no principal to resolve first."""
    [account] = query.account_ids
    return _subject_partition(_ACCOUNT, account, query, [], [], window)


def time_partition(
    categories: frozenset[Category], window: Counts, extra: Iterable[tuple[str, str, str]] = ()
) -> Partition:
    filters = list(extra)
    if not categories:
        return Partition(SIGNIN_INDEX, SIGNIN_PARTITION_ATTRIBUTE, LISTED, tuple(filters))
    driving = driving_category(categories, window)
    assert driving is not None
    filters += [("categories", "contains", other.value) for other in sorted(categories - {driving})]
    density = window.of(categories) / max(1, window.of(frozenset({driving})))
    return Partition(
        CATEGORY_INDEXES[driving],
        CATEGORY_PARTITION_ATTRIBUTES[driving],
        LISTED,
        tuple(filters),
        density=density,
    )


@dataclass(frozen=True)
class _Subject:
    """A name or an account: the directory field that holds it, and the index and key
    attribute of its partition by the category read (None: all its sign-ins)."""

    field: str
    indexes: Mapping[Category | None, tuple[str, str]]


_NAME = _Subject(
    "name",
    {
        None: (NAME_INDEX, NAME_PARTITION_ATTRIBUTE),
        **{c: (CATEGORY_NAME_INDEXES[c], CATEGORY_NAME_ATTRIBUTES[c]) for c in Category},
    },
)
_ACCOUNT = _Subject(
    "account_id",
    {
        None: (ACCOUNT_INDEX, ACCOUNT_PARTITION_ATTRIBUTE),
        **{c: (CATEGORY_ACCOUNT_INDEXES[c], CATEGORY_ACCOUNT_ATTRIBUTES[c]) for c in Category},
    },
)


def _subject_partition(
    subject: _Subject,
    value: str,
    query: HistoryQuery,
    holders: list[Principal],
    wanted: list[Principal],
    window: Counts,
) -> Partition:
    """One name's (or account's) partition (its `holders`: every principal it holds),
    of its rarest category asked for; filtered by the other categories and, if it holds
    principals that do not match, by WHO and account."""
    mine = [principal for principal in wanted if getattr(principal, subject.field) == value]
    driving = None
    if query.categories:
        # The holders' counts decide; the window's break a tie (the catalog's
        # principals, whose counts are not known, tie).
        driving = min(
            sorted(query.categories),
            key=lambda category: (
                sum(p.count([category]) for p in holders),
                window.of(frozenset({category})),
            ),
        )
    index, attribute = subject.indexes[driving]
    filters = [
        ("categories", "contains", other.value)
        for other in sorted(query.categories - {driving} if driving else ())
    ]
    if query.who and any(query.who not in principal.who for principal in holders):
        filters.append(("who", "contains", query.who))
    if query.account_ids and any(p.account_id not in query.account_ids for p in holders):
        filters.append(_accounts_filter(wanted))
    held = sum(principal.count([driving] if driving else []) for principal in holders)
    return Partition(
        index,
        attribute,
        value,
        tuple(filters),
        newest=max((principal.last_seen for principal in mine), default=2**62),
        density=sum(principal.count(query.categories) for principal in mine) / max(1, held),
    )


def _shared_partition(
    query: HistoryQuery,
    wanted: list[Principal],
    everyone: list[Principal],
    window: Counts,
    others: int,
) -> Partition:
    extra = [("who", "contains", query.who)] if query.who else []
    if query.account_ids:
        extra.append(_accounts_filter(wanted))
    partition = time_partition(query.categories, window, extra)
    driving = driving_category(query.categories, window)
    held = sum(p.count([driving] if driving else []) for p in everyone) + others
    matching = sum(p.count(query.categories) for p in wanted)
    return replace(
        partition,
        newest=max(p.last_seen for p in wanted),
        density=matching / max(1, held),
    )


def _accounts_filter(wanted: list[Principal]) -> tuple[str, str, str]:
    """The accounts asked for that signed in within the window (the others cannot
    match): one account is `=`, several `in` (space-separated; ids have no spaces)."""
    accounts = sorted({principal.account_id for principal in wanted})
    if len(accounts) == 1:
        return ("account_id", "=", accounts[0])
    return ("account_id", "in", " ".join(accounts))


def matches(principal: Principal, query: HistoryQuery) -> bool:
    if query.account_ids and principal.account_id not in query.account_ids:
        return False
    return not query.who or query.who in principal.who
