"""An organization's ledger for the bench, held compactly: 500 accounts, 50,000
principals, up to 1,000,000 sign-ins over 90 days, answering the reads `/recent-logins`
makes (Query on the ledger's indexes, BatchGetItem of day counters and catalog shards)
as DynamoDB answers them: one partition's key range, newest first, `Limit` counted
before the filter, a page ends past 1 MB read, `LastEvaluatedKey` to go on.

Every item is what `Ledger.record` would leave: each kind of sign-in (a principal, its
outcome and MFA) is parsed, judged and turned into its event item by the real code once
(`Ledger.item_for`); a sign-in is its kind with its own id and time. The day counters
and the catalog come from the real functions too (`day_counts`, `hour_counts`,
`principal_entry`). Sign-ins are numbered in time order, so an index partition is a
list of numbers, sorted by its `at` key.
"""

from __future__ import annotations

import json
import random
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.judge.places import Places
from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.store.catalog_pages import bulk_pages
from chalicelib.store.day_tally import day_counts, hour_counts
from chalicelib.store.directory import describing, principal_entry
from chalicelib.store.indexes import index_definitions
from chalicelib.store.ledger import Ledger
from chalicelib.store.listing import (
    categories_of,
    counter_names,
    hourly_name,
    in_directory,
    is_listed,
)
from chalicelib.store.recent_ring import RingEntry
from chalicelib.store.schema import (
    CATEGORY_RINGS,
    DIRECTORY_COUNT_PREFIX,
    RING_ATTRIBUTE,
    RING_SIZE,
    Category,
    catalog_shard,
    day_counter_key,
    day_hours_key,
    day_of,
    directory_key,
    ring_attribute,
)
from localdev.signins import ACCOUNTS, USERS, Login

ORGANIZATION_ACCOUNTS = 500
PRINCIPALS_PER_ACCOUNT = 100  # root, 19 IAM users, 80 Identity Center sessions
PAGE_BYTES = 1_000_000
BATCH_BYTES = 16_000_000
_PER_SIGNIN = ("pk", "event_id", "event_time", "epoch", "at", "day")
# A kind's item carries an id as long as each sign-in's (`org-NNNNNNN`, see `item`), so
# its size, which ends a page, is each sign-in's size: ids are in `pk`, `event_id`, `at`.
_SAMPLE_ID = "org-0000000"


def population(seed: int = 11) -> list[Login]:
    """One Login template per principal: 500 accounts (the demo's three first), each
    with root, 19 IAM users and 80 people's Identity Center sessions; in the demo's
    accounts the team (alice, bob, ...) is among both."""
    rng = random.Random(seed)
    accounts = [*ACCOUNTS, *(f"{200000000000 + n:012d}" for n in range(ORGANIZATION_ACCOUNTS))]
    people = [*USERS, *(f"person{n:05d}" for n in range(4_000))]
    services = [*USERS, *(f"svc-{n:04d}" for n in range(2_000))]
    principals = []
    for account in accounts[:ORGANIZATION_ACCOUNTS]:
        team = list(USERS) if account in ACCOUNTS else []
        principals.append(Login("", datetime(2000, 1, 1, tzinfo=UTC), "root", "Root", account))
        for name in team + rng.sample(services[len(USERS) :], 19 - len(team)):
            principals.append(Login("", datetime(2000, 1, 1, tzinfo=UTC), name, "IAMUser", account))
        for name in team + rng.sample(people[len(USERS) :], 80 - len(team)):
            principals.append(
                Login("", datetime(2000, 1, 1, tzinfo=UTC), name, "AssumedRole", account)
            )
    rng.shuffle(principals)
    return principals


@dataclass
class _Directory:
    first: int
    ring: deque[int]  # its newest sign-ins' numbers, oldest first
    rings: dict[Category, deque[int]] = field(default_factory=dict)  # of a category's
    last: int = 0
    newest_kind: int = 0
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class Kind:
    """One kind of sign-in: its event item (JSON, without the per-sign-in fields), what
    filters read of it, and the index partitions it is in with its size in each."""

    item: str
    who: str
    account_id: str
    categories: frozenset[str]
    partitions: dict[str, tuple[str, int]]  # index -> (partition value, item bytes)


def _size(item: dict[str, Any]) -> int:
    """DynamoDB's item size, near enough: names and values, numbers about half."""
    total = 0
    for name, value in item.items():
        total += len(name)
        for kind, data in value.items():
            if kind == "S":
                total += len(data.encode())
            elif kind == "N":
                total += len(data) // 2 + 1
            elif kind == "SS":
                total += sum(len(text.encode()) for text in data)
    return total


class OrganizationLedger:
    def __init__(self, signins: int, *, now: datetime, days: int = 90, seed: int = 7) -> None:
        rng = random.Random(seed)
        principals = population()
        hot = len(principals) // 5  # a fifth of the principals sign in four times in five
        # One sign-in in ten is the demo accounts' team's, at every size, so that the
        # bench's commands about alice or bob find them in the 1,000 as in the 1,000,000.
        team = [
            number
            for number, login in enumerate(principals)
            if login.account_id in ACCOUNTS and login.name in USERS
        ]
        epochs = sorted(
            int((now - timedelta(seconds=rng.uniform(0, days * 86_400))).timestamp())
            for _ in range(signins)
        )
        self.epochs = array("q", epochs)
        self.kind_of = array("i")
        self.kinds: list[Kind] = []
        kind_ids: dict[tuple[int, bool, bool], int] = {}
        self.partitions: dict[tuple[str, str], array[int]] = {}
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        counters: dict[str, Counter[str]] = {}
        hours: dict[str, Counter[str]] = {}
        catalog: dict[int, set[str]] = {}
        # Each principal's directory item as its commits leave it: span, counts, ring.
        directory: dict[int, _Directory] = {}
        ledger = Ledger(None, "bench", clock=lambda: now)
        settings = Settings()
        definitions = index_definitions()
        for number, epoch in enumerate(epochs):
            if number % 10 == 0:
                chosen = team[rng.randrange(len(team))]
            elif rng.random() < 0.8:
                chosen = rng.randrange(hot)
            else:
                chosen = rng.randrange(len(principals))
            key = (chosen, rng.random() > 0.08, rng.random() > 0.10)
            if key not in kind_ids:
                kind_ids[key] = len(self.kinds)
                signin = self._signin(principals[chosen], key[1], key[2], now)
                self.kinds.append(self._kind(ledger, settings, signin, definitions))
                if is_listed(signin):
                    entry = principal_entry(signin)
                    catalog.setdefault(catalog_shard(signin.principal_key), set()).add(entry)
            kind = kind_ids[key]
            self.kind_of.append(kind)
            if self._in_directory[kind]:
                state = directory.get(chosen)
                if state is None:
                    state = directory[chosen] = _Directory(epoch, deque(maxlen=RING_SIZE))
                state.last, state.newest_kind = epoch, kind
                state.counts.update(self._directory_counts[kind])
                state.ring.append(number)
                for category in self._ring_categories[kind]:
                    state.rings.setdefault(category, deque(maxlen=CATEGORY_RINGS[category])).append(
                        number
                    )
            for index, (value, _) in self.kinds[kind].partitions.items():
                self.partitions.setdefault((index, value), array("i")).append(number)
            moment = datetime.fromtimestamp(epoch, UTC)
            day = day_of(moment)
            counters.setdefault(day, Counter()).update(self._day_counts[kind])
            if self._counted[kind]:
                prefix = hourly_name(moment.hour, "")
                hours.setdefault(day, Counter()).update(
                    {prefix + name: count for name, count in self._hour_counts[kind].items()}
                )
        for key_of, tallies in ((day_counter_key, counters), (day_hours_key, hours)):
            for day, counts in tallies.items():
                item = {**key_of(day), **{n: {"N": str(v)} for n, v in counts.items()}}
                self.items[item["pk"]["S"], item["sk"]["S"]] = item
        # The catalog as the hourly packing leaves it: each shard's entries in one string
        # (in further pages past the first page's bound).
        for shard, entries in catalog.items():
            for item in bulk_pages(shard, set(entries)):
                self.items[item["pk"]["S"], item["sk"]["S"]] = item
        for state in directory.values():
            item = self._directory_item(state)
            self.items[item["pk"]["S"], item["sk"]["S"]] = item
        self.principals = sum(len(entries) for entries in catalog.values())
        self.accounts = len({kind.account_id for kind in self.kinds})

    _counted: list[bool]
    _day_counts: list[dict[str, int]]
    _hour_counts: list[dict[str, int]]
    _in_directory: list[bool]
    _directory_counts: list[list[str]]
    _signins: list[SignIn]
    _ring_categories: list[list[Category]]

    def _directory_item(self, state: _Directory) -> dict[str, Any]:
        """What `DirectoryTally` leaves for the principal (its sign-ins in time order)."""
        signin = self._signins[state.newest_kind]

        def text(numbers: deque[int]) -> str:
            return " ".join(
                RingEntry(
                    f"{self.epochs[number]:010d}#org-{number:07d}",
                    categories_of(self._signins[self.kind_of[number]]),
                ).text()
                for number in reversed(numbers)
            )

        rings = {ring_attribute(category): {"S": text(n)} for category, n in state.rings.items()}
        return {
            **directory_key(signin.principal_key),
            "first_seen": {"N": str(state.first)},
            "last_seen": {"N": str(state.last)},
            **describing(signin),
            **{name: {"N": str(count)} for name, count in state.counts.items()},
            RING_ATTRIBUTE: {"S": text(state.ring)},
            **rings,
        }

    @staticmethod
    def _signin(template: Login, success: bool, mfa: bool, now: datetime) -> SignIn:
        login = replace(template, event_id=_SAMPLE_ID, at=now, success=success, mfa=mfa)
        return parse_signin(login.record(), received_at=now)

    def _kind(
        self, ledger: Ledger, settings: Settings, signin: SignIn, definitions: list[dict[str, Any]]
    ) -> Kind:
        if not hasattr(self, "_counted"):
            self._counted, self._day_counts, self._hour_counts = [], [], []
            self._in_directory, self._directory_counts, self._signins = [], [], []
            self._ring_categories = []
        self._in_directory.append(in_directory(signin))
        self._ring_categories.append(sorted(categories_of(signin) & CATEGORY_RINGS.keys()))
        self._directory_counts.append(
            [DIRECTORY_COUNT_PREFIX + name for name in counter_names(categories_of(signin))]
        )
        self._signins.append(signin)
        item = ledger.item_for(signin, evaluate(signin, settings))
        self._counted.append(is_listed(signin))
        self._day_counts.append(day_counts(signin, Places()))
        # The kind's hourly counters at hour 0; each sign-in moves them to its own hour.
        at_midnight = replace(signin, event_time=signin.event_time.replace(hour=0))
        self._hour_counts.append(
            {
                name.removeprefix(hourly_name(0, "")): count
                for name, count in (hour_counts(at_midnight) if is_listed(signin) else {}).items()
            }
        )
        partitions = {}
        for definition in definitions:
            hash_name = definition["KeySchema"][0]["AttributeName"]
            if hash_name not in item or "at" not in item:
                continue
            projection = definition["Projection"]
            projected = (
                item
                if projection["ProjectionType"] == "ALL"
                else {n: v for n, v in item.items() if n in projection["NonKeyAttributes"]}
            )
            keys = {n: item[n] for n in ("pk", "sk", hash_name, "at")}
            partitions[definition["IndexName"]] = (item[hash_name]["S"], _size(projected | keys))
        fixed = {name: value for name, value in item.items() if name not in _PER_SIGNIN}
        return Kind(
            json.dumps(fixed),
            item.get("who", {}).get("S", ""),
            item.get("account_id", {}).get("S", ""),
            frozenset(item.get("categories", {}).get("SS", [])),
            partitions,
        )

    # -- reads ---------------------------------------------------------------------------

    def item(self, number: int) -> dict[str, Any]:
        item: dict[str, Any] = json.loads(self.kinds[self.kind_of[number]].item)
        epoch = self.epochs[number]
        event_id = f"org-{number:07d}"
        item.update(
            pk={"S": f"EVENT#{event_id}"},
            event_id={"S": event_id},
            event_time={"S": datetime.fromtimestamp(epoch, UTC).isoformat()},
            epoch={"N": str(epoch)},
            at={"S": f"{epoch:010d}#{event_id}"},
            day={"S": day_of(datetime.fromtimestamp(epoch, UTC))},
        )
        return item

    def matches(self, number: int, condition: tuple[str, str, str]) -> bool:
        attribute, operator, value = condition
        kind = self.kinds[self.kind_of[number]]
        known = {"who": kind.who, "account_id": kind.account_id}
        if attribute == "categories":
            return value in kind.categories
        if attribute not in known:
            text = self.item(number).get(attribute, {}).get("S", "")
            return value in text if operator == "contains" else text == value
        return value in known[attribute] if operator == "contains" else known[attribute] == value

    def query(
        self,
        index: str,
        partition: str,
        low: int,
        high: int,
        *,
        start: int | None,
        limit: int | None,
        filters: list[tuple[str, str, str]],
        forward: bool = False,
    ) -> tuple[list[int], int, int | None]:
        """Newest first (oldest first if `forward`): the sign-ins matching `filters`
        among those read from the key range [low, high] (epochs) past `start` (a sign-in
        number); how many were read; the last one read when the page ended before the
        range did."""
        numbers = self.partitions.get((index, partition), array("i"))
        first = bisect_left(numbers, low, key=lambda n: self.epochs[n])
        last = bisect_right(numbers, high, key=lambda n: self.epochs[n])
        if start is not None and forward:
            first = max(first, bisect_right(numbers, start))
        elif start is not None:
            last = min(last, bisect_left(numbers, start))
        found: list[int] = []
        read, size, previous = 0, 0, -1
        order = range(first, last) if forward else range(last - 1, first - 1, -1)
        for position in order:
            number = numbers[position]
            size += self.kinds[self.kind_of[number]].partitions[index][1]
            if size > PAGE_BYTES or (limit is not None and read >= limit):
                return found, read, previous
            read += 1
            previous = number
            if all(self.matches(number, condition) for condition in filters):
                found.append(number)
        return found, read, None
