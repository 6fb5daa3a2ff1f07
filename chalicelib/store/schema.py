"""The ledger's items: every key family and counter name in one place (`indexes.py`
holds the table's indexes and its definition, `attributes.py` the values items share:
numbers, TTLs, bounded key text)."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from chalicelib.store.attributes import (
    bounded,
)


class Category(StrEnum):
    """The sign-ins `/recent-logins` can filter on and the summary line counts."""

    FAILED = "failed"
    ROOT = "root"
    NOMFA = "nomfa"
    # Account changes (signin/change.py): listed and counted apart from sign-ins, so
    # `/recent-logins` and the digest never count a password reset as a sign-in.
    CHANGES = "changes"


# Items written by this schema carry `schema = SCHEMA_VERSION`; `manage.py reindex`
# brings older ones up to it. 2: the principal directory; 3: the category indexes by
# name and by account.
SCHEMA_ATTRIBUTE = "schema"
# The sign-in's time as the record gives it (epoch seconds), projected for listings.
# An item whose record has no `eventTime` has none: it has `received_at` (ISO text)
# instead, and a listing says "time not recorded (received HH:MM)".
EPOCH_ATTRIBUTE = "epoch"
RECEIVED_AT_ATTRIBUTE = "received_at"
SCHEMA_VERSION = 3
DIRECTORY_SCHEMA = 2  # the first whose writes kept the principal directory

DIRECTORY_COUNT_PREFIX = "count_"
COUNTER_SK = "COUNT"
HOURS_SK = "HOURS"
TOTAL_COUNTER = "signins"


def combination_name(categories: frozenset[Category]) -> str:
    return "_".join(sorted(category.value for category in categories))


# Every counter there can be, in a day's counter item and a directory item: the total,
# each category and each combination, so `root failed` is counted exactly.
COUNTER_NAMES = (
    TOTAL_COUNTER,
    *(category.value for category in Category),
    *(
        combination_name(frozenset(combination))
        for size in range(2, len(Category) + 1)
        for combination in itertools.combinations(Category, size)
    ),
)


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


# -- key families -----------------------------------------------------------------------
# Every item in the table, by its partition key's prefix.


def event_key(event_id: str) -> dict[str, Any]:
    """`EVENT#<eventID>`: one sign-in, its alert state and its index attributes."""
    return {"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}}


def event_id_of(item: Mapping[str, Any]) -> str:
    """The eventID of an event item's key (an index page carries only the keys)."""
    return str(item["pk"]["S"]).removeprefix("EVENT#")


def confirm_due(due_epoch: int, event_id: str) -> str:
    """`<due>#<eventID>`: an open question's place in the `confirm_pending` index."""
    return f"{max(0, due_epoch):010d}#{event_id}"


def confirm_due_until(epoch: int) -> str:
    """The `confirm_pending` sort key past every question due by `epoch`: `$` sorts
    after `#`, so every key of that second is included."""
    return f"{max(0, epoch):010d}$"


def day_counter_key(day: str) -> dict[str, Any]:
    """`DAY#<date>`/`COUNT`: the day's counter item, written in each sign-in's commit:
    the totals for `/recent-logins` (its hourly counters are in `HOURS`; before schema
    2 they were here too) and the digest's tallies."""
    return {"pk": {"S": f"DAY#{day}"}, "sk": {"S": COUNTER_SK}}


def day_hours_key(day: str) -> dict[str, Any]:
    """`DAY#<date>`/`HOURS`: the day's sign-in counters per hour (`h07_failed`), apart
    from the day's, so that a window of 90 days reads 90 small items and one large."""
    return {"pk": {"S": f"DAY#{day}"}, "sk": {"S": HOURS_SK}}


def day_partition(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def day_item_key(day: date, sort_key: str) -> dict[str, Any]:
    """`DAY#<date>`/`PRINCIPAL#...`, `BURST#...`, `PLACE#...`, `DIGEST`: the day's
    counters per principal and the digest's lines, beside its `COUNT` item."""
    return {"pk": {"S": day_partition(day)}, "sk": {"S": bounded(sort_key)}}


def directory_key(principal_key: str) -> dict[str, Any]:
    """`PRINCIPAL#<principal>`/`DIRECTORY`: one principal ever seen: its names, account,
    type, first and last sign-in, and how many sign-ins of each category it made."""
    return {"pk": {"S": f"PRINCIPAL#{bounded(principal_key)}"}, "sk": {"S": "DIRECTORY"}}


# The principal catalog: who matches a WHO, for every principal ever seen, packed into
# a fixed number of shards read with one BatchGetItem (an index page holds 1 MB, a few
# thousand principals; an organization has tens of thousands). A principal's entry is
# added once, when its first sign-in is committed (a set ADD: a retry adds nothing), to
# its shard's first page. The hourly packing keeps that page under
# `catalog_pages.FIRST_PAGE_BYTES` by moving entries into further pages, so no item
# reaches DynamoDB's 400 KB: 64 first pages (about 70,000 principals of ~140 bytes)
# are one BatchGetItem; past that, the further pages take one more per 16 MB.
CATALOG_SHARDS = 64
CATALOG_ENTRIES = "entries"
CATALOG_PACKED = "packed"  # entries moved out of the set, joined (catalog_pages)
CATALOG_PAGES = "pages"  # on a first page: how many further pages the shard has
CATALOG_SEPARATOR = "\x1e"  # ASCII's record separator: no entry holds one
CATALOG_WHO_CHARACTERS = 256


def catalog_key(shard: int, page: int = 0) -> dict[str, Any]:
    """`CATALOG#<shard>`/`PRINCIPALS`: the shard's first page, a string set of
    `catalog_entry`s, those already packed into one string, and how many further pages
    (`PRINCIPALS#<page>`, packed entries only) the shard has (`catalog_pages`)."""
    sort_key = "PRINCIPALS" if page == 0 else f"PRINCIPALS#{page:03d}"
    return {"pk": {"S": f"CATALOG#{shard:02d}"}, "sk": {"S": sort_key}}


def catalog_shard_of(key: Mapping[str, Any]) -> int | None:
    """The shard a catalog page's key belongs to; None for any other key."""
    partition = key.get("pk", {}).get("S", "")
    if not partition.startswith("CATALOG#") or not partition[8:].isdigit():
        return None
    return int(partition[8:])


def catalog_shard(principal_key: str) -> int:
    return zlib.crc32(principal_key.encode()) % CATALOG_SHARDS


# The principal's newest sign-ins, in its directory item (`store/recent_ring.py`): up to
# RING_SIZE `at` keys, newest first, each with its categories; what `/recent-logins`
# reads, with one BatchGetItem, when a name part matches more names than it has calls.
RING_ATTRIBUTE = "recent"
RING_SIZE = 10  # the default listing's length: any one principal's is in its ring
# And, for the categories a ring of every sign-in reaches back too little for, a ring
# of the newest of that category only (empty for most principals). Root needs none:
# a root principal's sign-ins are all root.
CATEGORY_RINGS = {Category.FAILED: 4, Category.NOMFA: 4}


def ring_attribute(category: Category | None) -> str:
    """`recent`, or `recent_failed`: the ring of every sign-in, or of one category's."""
    return RING_ATTRIBUTE if category is None else f"{RING_ATTRIBUTE}_{category.value}"


def ring_size(category: Category | None) -> int:
    return RING_SIZE if category is None else CATEGORY_RINGS[category]


def burst_key(subject_id: str) -> dict[str, Any]:
    """`BURST#<subject>`: an open (or recently closed) burst."""
    return {"pk": {"S": f"BURST#{bounded(subject_id)}"}, "sk": {"S": "BURST"}}


def burst_line_key(subject_id: str, opened_epoch: int) -> dict[str, Any]:
    """`DAY#<date>`/`BURST#<subject>#<epoch>`: the digest's line for the burst opened
    at `opened_epoch` (its opener's event time), in that day's partition."""
    day = datetime.fromtimestamp(opened_epoch, UTC).date()
    return day_item_key(day, f"BURST#{subject_id}#{opened_epoch}")


OPEN_BURSTS = "OPEN_BURSTS"


def open_burst_key(subject_id: str) -> dict[str, Any]:
    """`OPEN_BURSTS`/`<subject>`: the sweep's list of bursts to close."""
    return {"pk": {"S": OPEN_BURSTS}, "sk": {"S": bounded(subject_id)}}


def window_slice_key(subject_id: str, index: int) -> dict[str, Any]:
    """`COUNT#<subject>`/`<slice>`: one slice of a failure window."""
    return {"pk": {"S": f"COUNT#{bounded(subject_id)}"}, "sk": {"S": str(index)}}


def spray_name_key(subject_id: str, user_name: str) -> dict[str, Any]:
    """`SPRAY#<subject>`/`NAME#<user name>`: a user name seen failing from one IP."""
    return {"pk": {"S": f"SPRAY#{bounded(subject_id)}"}, "sk": {"S": f"NAME#{bounded(user_name)}"}}


def place_key(principal_key: str, sort_key: str) -> dict[str, Any]:
    """`SEEN#<principal>`/`IP#...`, `COUNTRY#...`, `LAST`: where a principal signed in."""
    return {"pk": {"S": f"SEEN#{bounded(principal_key)}"}, "sk": {"S": sort_key}}


def root_mfa_key(principal_key: str, source_ip: str) -> dict[str, Any]:
    """`ROOTMFA#<root principal>`/`IP#<ip>`: the pairing of root's CheckMfa and
    ConsoleLogin from one IP: the CheckMfa waiting for its sign-in (or folded, or
    alerted by the sweep) and the recent sign-ins' times, with a version for
    conditional writes."""
    return {
        "pk": {"S": f"ROOTMFA#{bounded(principal_key)}"},
        "sk": {"S": f"IP#{bounded(source_ip)}"},
    }


def takeover_key(principal_key: str) -> dict[str, Any]:
    """`TAKEOVER#<principal>`/`TAKEOVER`: the principal's recent takeover steps (console
    password given or reset by someone else, MFA removed) and recent console sign-ins,
    with a version for conditional writes: each side reads it in its one gather and puts
    it in its one commit (changes/takeover.py)."""
    return {"pk": {"S": f"TAKEOVER#{bounded(principal_key)}"}, "sk": {"S": "TAKEOVER"}}


ROOT_MFA_DUE = "ROOT_MFA_DUE"


def root_mfa_due_key(due_epoch: int, event_id: str) -> dict[str, Any]:
    """`ROOT_MFA_DUE`/`<due>#<eventID>`: the minute sweep's list of root CheckMfa
    records that alert by themselves unless their ConsoleLogin comes first."""
    return {"pk": {"S": ROOT_MFA_DUE}, "sk": {"S": f"{max(0, due_epoch):010d}#{event_id}"}}


def send_slot_key(destination: str) -> dict[str, Any]:
    """`RATE#<hash>`/`RATE`: a channel's next free send slot; the hash keeps a webhook
    URL (a secret) out of the table."""
    digest = hashlib.sha256(destination.encode()).hexdigest()[:16]
    return {"pk": {"S": f"RATE#{digest}"}, "sk": {"S": "RATE"}}


def watchdog_partition(stage: str) -> str:
    return f"WATCHDOG#{stage}"


def watchdog_key(stage: str, check_key: str) -> dict[str, Any]:
    """`WATCHDOG#<stage>`/`CHECK#<check>`: what the watchdog last said about one check
    (status, since, last posted, version for conditional writes)."""
    return {"pk": {"S": watchdog_partition(stage)}, "sk": {"S": f"CHECK#{bounded(check_key)}"}}


def forwarding_key(env: str) -> dict[str, Any]:
    """`CONFIG#forwarding`/`<env>`: the regions `manage.py deploy` forwards from, and
    where to (attribute `regions`, a map), for the watchdog to check."""
    return {"pk": {"S": "CONFIG#forwarding"}, "sk": {"S": bounded(env)}}


def organization_key() -> dict[str, Any]:
    """`CONFIG#organization`/`ROSTER`: the organization as last read from AWS
    Organizations (accounts, names, states, OU paths; compressed), when, and whether it
    could be read: the cache every container loads once a day (organization/stored.py)."""
    return {"pk": {"S": "CONFIG#organization"}, "sk": {"S": "ROSTER"}}


WEEKLY_DIGEST_SK = "DIGEST_WEEK"


def weekly_digest_key(last_day: date) -> dict[str, Any]:
    """`DAY#<date>`/`DIGEST_WEEK`: the once-a-week mark of the weekly digest whose week
    ends on `last_day` (beside the daily `DIGEST` mark of that day)."""
    return day_item_key(last_day, WEEKLY_DIGEST_SK)


def slack_event_key(event_id: str) -> dict[str, Any]:
    """`SLACKEVENT#<event_id>`/`SLACKEVENT`: an Events API delivery handled once, so
    Slack's retries (`X-Slack-Retry-Num`) never publish twice."""
    return {"pk": {"S": f"SLACKEVENT#{bounded(event_id)}"}, "sk": {"S": "SLACKEVENT"}}


ROUTINE_DUE = "ROUTINE_DUE"


def routine_due_key(period_id: str) -> dict[str, Any]:
    """`ROUTINE_DUE`/`<period>`: a roll-up of routine sign-ins (chalicelib/routine) that
    has sign-ins to tell: how many were recorded (added in each one's commit), the
    eventIDs told, the Web API message's channel and ts, and the lease of the sweep
    that posts it."""
    return {"pk": {"S": ROUTINE_DUE}, "sk": {"S": bounded(period_id)}}


def routine_partition(period_id: str) -> str:
    return f"ROUTINE#{bounded(period_id)}"


def routine_entry_key(period_id: str, event_epoch: int, event_id: str) -> dict[str, Any]:
    """`ROUTINE#<period>`/`<event time>#<eventID>`: one routine sign-in in its roll-up,
    in event-time order; written in the sign-in's commit."""
    sort_key = f"{max(0, event_epoch):011d}#{bounded(event_id)}"
    return {"pk": {"S": routine_partition(period_id)}, "sk": {"S": sort_key}}
