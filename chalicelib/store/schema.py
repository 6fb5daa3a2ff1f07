"""The ledger table's layout: every key family, index and TTL in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

Clock = Callable[[], datetime]
TRANSACTION_ATTEMPTS = 4


def event_key(event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}}


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


def counter_key(day: str) -> dict[str, Any]:
    return {"pk": {"S": f"DAY#{day}"}, "sk": {"S": COUNTER_SK}}


def _index(name: str, hash_attribute: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_attribute, "KeyType": "HASH"},
            {"AttributeName": "at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(LISTING_ATTRIBUTES)},
    }


def index_definitions() -> list[dict[str, Any]]:
    return [_index(DAY_INDEX, "day")] + [
        _index(CATEGORY_INDEXES[category], CATEGORY_PARTITION_ATTRIBUTES[category])
        for category in Category
    ]


def _attribute_definitions() -> list[dict[str, str]]:
    names = ["pk", "sk", "day", "at", *CATEGORY_PARTITION_ATTRIBUTES.values()]
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


TTL_ATTRIBUTE = "expires_at"
