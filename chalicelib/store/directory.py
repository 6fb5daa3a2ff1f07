"""The principal directory: one item per principal ever seen, kept in the same
transaction as the sign-in's event item.

Each item holds the principal's display name, ARN, account and type, its first and
last sign-in (epoch seconds) and how many sign-ins of each category it made. The
alert pipeline reads it (where a sign-in falls in its principal's span), and a
principal's first sign-in adds it to the catalog: a few dozen items that hold every
principal's account, name and WHO text, so that `/recent-logins alice` learns with one
BatchGetItem which principals match, at any size of organization, before it reads a
single sign-in. (Schema 3 kept every directory item in one index partition, read
whole: past one 1 MB page, a few thousand principals, that took more calls.)

DynamoDB cannot take a minimum or a maximum in an update, and sign-ins arrive out of
order (Lambda retries, `manage.py backfill` imports newest first). So the entry comes
in three `Placement`s, each with a condition that says where the sign-in falls; a
commit tries `NEWEST` first (live sign-ins almost always are), and when DynamoDB
cancels the transaction on the directory's condition, the next placement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from chalicelib.signin.parse import SignIn
from chalicelib.store.attributes import bounded, read_int
from chalicelib.store.catalog_entry import catalog_entry, catalog_principal
from chalicelib.store.catalog_pages import catalog_entries, relieve_full_pages
from chalicelib.store.listing import (
    categories_of,
    counter_names,
    in_directory,
    principal_name,
    who_text,
)
from chalicelib.store.recent_ring import ring_changes, ring_classes, ring_write
from chalicelib.store.schema import (
    CATALOG_ENTRIES,
    CATEGORY_RINGS,
    DIRECTORY_COUNT_PREFIX,
    TOTAL_COUNTER,
    Category,
    catalog_key,
    catalog_shard,
    directory_key,
    ring_attribute,
)

# A catalog entry's "last sign-in": any time, so no window leaves it out unread.
UNKNOWN_LAST_SEEN = 2**62
# More matching names than this: every entry is split once instead.
MAX_NAMES_SCANNED = 16


class Placement(Enum):
    """Where a sign-in falls among the principal's sign-ins already in the directory."""

    NEWEST = "newest"  # or the first: sets every field and `last_seen`
    OLDEST = "oldest"  # before `first_seen`: moves it back
    BETWEEN = "between"  # inside the known span: only the counts change

    def next(self) -> Placement | None:
        order = list(Placement)
        position = order.index(self)
        return order[position + 1] if position + 1 < len(order) else None


def _epoch(signin: SignIn) -> int:
    return max(0, int(signin.event_time.timestamp()))


def describing(signin: SignIn) -> dict[str, dict[str, str]]:
    """What the directory says about a principal, from its newest sign-in."""
    values = {
        "principal": bounded(signin.principal_key),
        "principal_name": principal_name(signin),
        "who": who_text(signin),
        "display_name": signin.display_name[:1024],
        "arn": signin.arn[:2048],
        "account_id": signin.account_id,
        "principal_type": signin.principal_type.value,
    }
    return {name: {"S": value} for name, value in values.items() if value}


def directory_update(
    signin: SignIn,
    table_name: str,
    placement: Placement = Placement.NEWEST,
    known: Mapping[str, Any] | None = None,
    *,
    rings: bool = True,
) -> dict[str, Any]:
    """The TransactWriteItems entry that keeps one listed sign-in's principal in the
    directory: one `Update`, conditional on `placement` being right and, when the
    sign-in enters the principal's ring of newest sign-ins (`recent_ring`), on the
    ring being as read in `known` (the directory item; None: none yet). Without
    `rings` (a commit that lost a race, so its principal's sign-ins are arriving
    together) the rings it belongs in are dropped instead, with no condition: a storm
    of one principal's sign-ins never loses race after race on its rings, and a ring
    begins again at a later newest sign-in."""
    at = {"N": str(_epoch(signin))}
    counts = [DIRECTORY_COUNT_PREFIX + name for name in counter_names(categories_of(signin))]
    names = {f"#c{number}": name for number, name in enumerate(counts)}
    values: dict[str, Any] = {":one": {"N": "1"}, ":at": at}
    names |= {"#first": "first_seen", "#last": "last_seen"}
    adds = "ADD " + ", ".join(f"#c{number} :one" for number in range(len(counts)))
    if placement is Placement.NEWEST:
        described = describing(signin)
        names |= {f"#d{number}": name for number, name in enumerate(described)}
        values |= {f":d{number}": value for number, value in enumerate(described.values())}
        sets = [f"#d{number} = :d{number}" for number in range(len(described))]
        sets += ["#last = :at", "#first = if_not_exists(#first, :at)"]
        expression = "SET " + ", ".join(sets) + " " + adds
        condition = "attribute_not_exists(#last) OR #last <= :at"
    elif placement is Placement.OLDEST:
        del names["#last"]
        expression = "SET #first = :at " + adds
        condition = "#first > :at"
    else:
        expression = adds
        condition = "#first <= :at AND #last >= :at"
    if not rings:
        dropped = {f"#r{n}": ring_attribute(c) for n, c in enumerate(ring_classes(signin))}
        names |= dropped
        expression += " REMOVE " + ", ".join(dropped)
    for change in ring_changes(signin, known) if rings else []:
        ring_set, ring_condition = ring_write(change, names, values)
        sets_part, _, adds_part = expression.partition("ADD ")
        sets_part = sets_part.strip()
        sets_part = f"{sets_part}, {ring_set}" if sets_part else f"SET {ring_set}"
        expression = f"{sets_part} ADD {adds_part}"
        condition = f"({condition}) AND {ring_condition}"
    return {
        "Update": {
            "TableName": table_name,
            "Key": directory_key(signin.principal_key),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def principal_entry(signin: SignIn) -> str:
    """The principal's line in the catalog (`schema.catalog_entry`)."""
    return catalog_entry(
        signin.account_id or "unknown",
        principal_name(signin),
        who_text(signin),
        bounded(signin.principal_key),
    )


def catalog_update(signin: SignIn, table_name: str) -> dict[str, Any]:
    """The TransactWriteItems entry that adds a principal to its catalog shard: an ADD
    to a set, so a retry, or a principal already there, changes nothing."""
    return {
        "Update": {
            "TableName": table_name,
            "Key": catalog_key(catalog_shard(signin.principal_key)),
            "UpdateExpression": "ADD #entries :entry",
            "ExpressionAttributeNames": {"#entries": CATALOG_ENTRIES},
            "ExpressionAttributeValues": {":entry": {"SS": [principal_entry(signin)]}},
        }
    }


def catalog_principals(
    items: Iterable[Mapping[str, Any]], who: str, account_id: str = ""
) -> tuple[list[Principal], int]:
    """From the catalog shards (as read), without counts or times: every principal of a
    name one whose WHO text holds `who` has, and of `account_id`; and how many
    principals the catalog holds besides. Tens of thousands of entries: only the few
    that can matter become Principals."""
    entries = catalog_entries(items)
    # A substring of the whole entry first (at C speed): only those can match.
    names = {
        fields[1]
        for fields in (_fields(entry) for entry in entries if who in entry)
        if who in fields[2].partition("\t")[0]
    }
    # Each name's holders hold it as a substring too: with a few names, only the
    # entries that contain one are split (a substring test runs at C speed).
    tagged = [f"\t{name}\t" for name in names]
    candidates = entries
    if not account_id and len(tagged) <= MAX_NAMES_SCANNED:
        # an entry has two tabs, around its name: it holds one tag at most
        candidates = [entry for tag in tagged for entry in entries if tag in entry]
    principals = []
    for entry in candidates:
        account, name, text = _fields(entry)
        if name in names or (account_id and account == account_id):
            text, _, field = text.partition("\t")  # the principal's key, when catalogued
            key = catalog_principal(text, field)
            principals.append(
                Principal(entry, name, text, account, 0, UNKNOWN_LAST_SEEN, {}, False, key)
            )
    return principals, len(entries) - len(principals)


def _fields(entry: str) -> tuple[str, str, str]:
    account, _, rest = entry.partition("\t")
    name, _, text = rest.partition("\t")
    return account, name, text


def placement_for(signin: SignIn, item: Mapping[str, Any] | None) -> Placement:
    """Where the sign-in falls among what the principal's directory `item` (as read)
    holds; the update's condition checks it again when it is written."""
    if item is None or "last_seen" not in item:
        return Placement.NEWEST
    at = _epoch(signin)
    if at >= read_int(item, "last_seen"):
        return Placement.NEWEST
    if at < read_int(item, "first_seen"):
        return Placement.OLDEST
    return Placement.BETWEEN


def transact_with_directory(
    dynamodb: Any,
    table_name: str,
    signin: SignIn,
    items: list[dict[str, Any]],
    *,
    attempts: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any] | None:
    """Write `items` and, for a listed sign-in, its directory entry in one transaction,
    trying each placement in turn. None when written; the cancellation reason of
    `items[0]` when its own condition failed (a duplicate), with the item if DynamoDB
    returned it. For bulk writers (`Ledger.record`, reindex); the alert pipeline reads
    the directory item in its gather and places the entry in its decision. A principal
    the directory does not hold yet is added to the catalog in the same transaction (a
    read first: an ADD costs a whole shard's size in write units, so only then)."""
    listed = in_directory(signin)
    known = _directory_item(dynamodb, table_name, signin) if listed else None
    new = listed and known is None
    placement = placement_for(signin, known)
    failures = 0
    while True:
        entries = list(items)
        if listed:
            entries.append(directory_update(signin, table_name, placement, known))
        if new:  # last: the directory's reason stays where the placement reads it
            entries.append(catalog_update(signin, table_name))
        try:
            dynamodb.transact_write_items(TransactItems=entries)
        except dynamodb.exceptions.TransactionCanceledException as error:
            reasons = getattr(error, "response", {}).get("CancellationReasons") or [{}]
            failures += 1
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                first: dict[str, Any] = reasons[0]
                return first
            if failures >= attempts + len(Placement):
                raise
            if relieve_full_pages(dynamodb, entries, reasons):
                continue  # its catalog page was full, and has room now
            directory_reason = reasons[len(items)] if len(reasons) > len(items) else {}
            if listed and directory_reason.get("Code") == "ConditionalCheckFailed":
                # Another sign-in of the principal was committed meanwhile: where this
                # one falls, and its ring, on a new read.
                known = _directory_item(dynamodb, table_name, signin)
                placement = placement_for(signin, known)
            else:
                # Another sign-in updated a counter or the directory item at the same
                # moment (TransactionConflict): nothing was written, so try again.
                sleep(0.05 * failures)
        else:
            return None


def _directory_item(dynamodb: Any, table_name: str, signin: SignIn) -> dict[str, Any] | None:
    """What a directory write needs of the principal's item: its span, counts, rings."""
    wanted = ["pk", "first_seen", "last_seen", DIRECTORY_COUNT_PREFIX + TOTAL_COUNTER]
    wanted += [DIRECTORY_COUNT_PREFIX + kind.value for kind in sorted(CATEGORY_RINGS)]
    wanted += [ring_attribute(kind) for kind in (None, *sorted(CATEGORY_RINGS))]
    found = dynamodb.get_item(
        TableName=table_name,
        Key=directory_key(signin.principal_key),
        ProjectionExpression=", ".join(f"#a{number}" for number in range(len(wanted))),
        ExpressionAttributeNames={f"#a{number}": name for number, name in enumerate(wanted)},
        ConsistentRead=True,
    )
    item: dict[str, Any] | None = found.get("Item")
    return item


@dataclass(frozen=True)
class Principal:
    """One directory entry, as `/recent-logins` reads it from the index."""

    principal: str
    name: str  # its `by_principal_name` partition
    who: str  # its display name and ARN, lower case, as WHO is matched
    account_id: str
    first_seen: int
    last_seen: int
    counts: Mapping[str, int]
    # False: from the catalog, which says who a principal is but not when it signed in
    # nor how often; its counts read 1 (it may have any) and its times "any time".
    known: bool = True
    key: str = ""  # its directory item's key, when the catalog says (`directory_key`)

    def count(self, categories: Iterable[Category] = ()) -> int:
        """Sign-ins recorded (ever) in every one of `categories`, all for none."""
        if not self.known:
            return 1
        wanted = sorted(category.value for category in categories)
        if not wanted:
            return self.counts.get(TOTAL_COUNTER, 0)
        if len(wanted) == 1:
            return self.counts.get(wanted[0], 0)
        return sum(
            count
            for name, count in self.counts.items()
            if "_" in name and set(wanted) <= set(name.split("_"))
        )

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Principal:
        def text(name: str) -> str:
            value = item.get(name, {}).get("S", "")
            return value if isinstance(value, str) else ""

        counts = {
            name.removeprefix(DIRECTORY_COUNT_PREFIX): read_int(item, name)
            for name in item
            if name.startswith(DIRECTORY_COUNT_PREFIX)
        }
        return cls(
            principal=text("principal"),
            name=text("principal_name"),
            who=text("who"),
            account_id=text("account_id"),
            first_seen=read_int(item, "first_seen"),
            last_seen=read_int(item, "last_seen"),
            counts=counts,
        )
