"""The ledger table's layout: every key family, index and TTL in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """The sign-ins `/recent-logins` can filter on and the summary line counts."""

    FAILED = "failed"
    ROOT = "root"
    NOMFA = "nomfa"


DAY_INDEX = "by_day"
CATEGORY_INDEXES = {category: f"{category.value}_by_month" for category in Category}
CATEGORY_PARTITION_ATTRIBUTES = {category: f"{category.value}_month" for category in Category}
# What a listing needs, so an index page carries many sign-ins (the user agent, up to
# 1 KB, stays out). DynamoDB allows 100 such attributes over all indexes of a table.
LISTING_ATTRIBUTES = (
    "event_id",
    "event_name",
    "epoch",
    "account_id",
    "region",
    "principal_type",
    "display_name",
    "arn",
    "role_name",
    "source_ip",
    "outcome",
    "failure_reason",
    "mfa",
    "federation",
    "who",
    "categories",
)
COUNTER_SK = "COUNT"
TOTAL_COUNTER = "signins"


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _index(name: str, hash_attribute: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_attribute, "KeyType": "HASH"},
            {"AttributeName": "at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(LISTING_ATTRIBUTES)},
    }


# "Was this you?" questions that may still need an escalation: a sparse index, since
# only an event item with an open question carries `confirm_queue` (one constant value)
# and `confirm_due` (`<epoch>#<eventID>`, when it escalates). The sweep reads the due
# part of one partition, never a Scan; an answered question leaves the index.
PENDING_INDEX = "confirm_pending"
PENDING_QUEUE_ATTRIBUTE = "confirm_queue"
PENDING_DUE_ATTRIBUTE = "confirm_due"
PENDING_QUEUE = "PENDING"


def pending_index() -> dict[str, Any]:
    return {
        "IndexName": PENDING_INDEX,
        "KeySchema": [
            {"AttributeName": PENDING_QUEUE_ATTRIBUTE, "KeyType": "HASH"},
            {"AttributeName": PENDING_DUE_ATTRIBUTE, "KeyType": "RANGE"},
        ],
        # The sweep re-reads each due item consistently before it acts.
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def index_definitions() -> list[dict[str, Any]]:
    return [
        _index(DAY_INDEX, "day"),
        *(
            _index(CATEGORY_INDEXES[category], CATEGORY_PARTITION_ATTRIBUTES[category])
            for category in Category
        ),
        pending_index(),
    ]


def _attribute_definitions() -> list[dict[str, str]]:
    names = ["pk", "sk", "day", "at", *CATEGORY_PARTITION_ATTRIBUTES.values()]
    names += [PENDING_QUEUE_ATTRIBUTE, PENDING_DUE_ATTRIBUTE]
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def table_definition(name: str) -> dict[str, Any]:
    """Arguments for `create_table`: what `manage.py provision` and the tests create."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": _attribute_definitions(),
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": index_definitions(),
    }


# -- attribute values -------------------------------------------------------------------

TTL_ATTRIBUTE = "expires_at"
# Names and user agents are chosen by whoever signs in: key text stays bounded.
MAX_KEY_TEXT = 400
BATCH_GET_LIMIT = 100


def number(value: int | float) -> dict[str, str]:
    """A DynamoDB number; floats keep millisecond precision."""
    if isinstance(value, float):
        return {"N": str(Decimal(repr(round(value, 3))))}
    return {"N": str(value)}


def read_number(item: Mapping[str, Any], name: str, default: float = 0) -> float:
    try:
        return float(item[name]["N"])
    except (KeyError, TypeError, ValueError):
        return default


def read_int(item: Mapping[str, Any], name: str, default: int = 0) -> int:
    return int(read_number(item, name, default))


def bounded(text: str) -> str:
    return text[:MAX_KEY_TEXT]


# -- key families -----------------------------------------------------------------------
# Every item in the table, by its partition key's prefix.


def event_key(event_id: str) -> dict[str, Any]:
    """`EVENT#<eventID>`: one sign-in, its alert state and its index attributes."""
    return {"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}}


def day_counter_key(day: str) -> dict[str, Any]:
    """`DAY#<date>`/`COUNT`: the day's sign-in counters, whole and per hour."""
    return {"pk": {"S": f"DAY#{day}"}, "sk": {"S": COUNTER_SK}}


def day_partition(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def day_item_key(day: date, sort_key: str) -> dict[str, Any]:
    """`DAY#<date>`/`TOTALS`, `PRINCIPAL#...`, `BURST#...`, `PLACE#...`, `DIGEST`: the
    digest's tallies and lines for that day."""
    return {"pk": {"S": day_partition(day)}, "sk": {"S": bounded(sort_key)}}


def burst_key(subject_id: str) -> dict[str, Any]:
    """`BURST#<subject>`: an open (or recently closed) burst."""
    return {"pk": {"S": f"BURST#{bounded(subject_id)}"}, "sk": {"S": "BURST"}}


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


def send_slot_key(destination: str) -> dict[str, Any]:
    """`RATE#<hash>`/`RATE`: a channel's next free send slot; the hash keeps a webhook
    URL (a secret) out of the table."""
    digest = hashlib.sha256(destination.encode()).hexdigest()[:16]
    return {"pk": {"S": f"RATE#{digest}"}, "sk": {"S": "RATE"}}
