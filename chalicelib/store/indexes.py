"""The ledger table's indexes, what each projects, and the table's definition: how
`/recent-logins` and the "was this you?" sweep read the items that
`schema.py` lays out."""

from __future__ import annotations

from typing import Any

from chalicelib.store.schema import EPOCH_ATTRIBUTE, RECEIVED_AT_ATTRIBUTE, Category

# Every listed sign-in (a ConsoleLogin, an Identity Center authentication) is in
# `signins_by_time`; the sparse indexes hold only the sign-ins of one category, one
# principal name or one account. Each has one partition per value, sorted by `at`
# (`<epoch>#<eventID>`), so "the newest N since T" is one Query however sparse the
# sign-ins are: DynamoDB reads only the key range asked for, never the whole partition.
LISTED = "signin"  # the value of the constant partition keys below
SIGNIN_INDEX = "signins_by_time"
SIGNIN_PARTITION_ATTRIBUTE = "listed"
CATEGORY_INDEXES = {category: f"{category.value}_by_time" for category in Category}
CATEGORY_PARTITION_ATTRIBUTES = {category: f"listed_{category.value}" for category in Category}
# Principals grouped by the name people type (lower case): `alice` the IAM user in
# three accounts and `alice` the Identity Center session are one partition.
NAME_INDEX = "by_principal_name"
NAME_PARTITION_ATTRIBUTE = "principal_name"
ACCOUNT_INDEX = "by_account"
ACCOUNT_PARTITION_ATTRIBUTE = "listed_account"
# Each category's sign-ins once more by principal name and by account (sparse, like
# the category's own index), so a name or an account with a category (`carol nomfa`,
# `account prod failed`) reads only the sign-ins it lists, never a filtered page.
CATEGORY_NAME_INDEXES = {category: f"{category.value}_by_name" for category in Category}
CATEGORY_NAME_ATTRIBUTES = {category: f"{category.value}_name" for category in Category}
CATEGORY_ACCOUNT_INDEXES = {category: f"{category.value}_by_account" for category in Category}
CATEGORY_ACCOUNT_ATTRIBUTES = {category: f"{category.value}_account" for category in Category}
# Indexes of earlier schemas, no longer written or read. `manage.py provision` leaves
# them alone (a stage still on the old code may read them); delete them by hand once
# every stage runs this version and `manage.py reindex` has run. Schema 3's principal
# `directory` held every principal in one partition, read whole: the catalog
# (`schema.catalog_key`) took its place; `manage.py reindex` reads it to fill the catalog.
DIRECTORY_INDEX = "directory"
RETIRED_INDEXES = ("by_day", "failed_by_month", "root_by_month", "nomfa_by_month", DIRECTORY_INDEX)
RETIRED_ATTRIBUTES = ("failed_month", "root_month", "nomfa_month")

# Whether the item's `display_name` is a name the record gave, or a name AWS hid
# (`signin.parse.NameStatus`): a listing says "unknown user" for a hidden one.
NAME_STATUS_ATTRIBUTE = "name_status"
# Who signed in where, as the sign-in's item stores it (event text): what a listing
# shows and a "Was this you?" message quotes, named once for both.
PRINCIPAL_ATTRIBUTES = (
    "account_id",
    "region",
    "principal_type",
    "display_name",
    "arn",
    "role_name",
    "source_ip",
)
# What a listing shows of each sign-in (`recent_logins.queries.Entry`).
ENTRY_ATTRIBUTES = (
    "event_id",
    EPOCH_ATTRIBUTE,
    *PRINCIPAL_ATTRIBUTES,
    "outcome",
    "failure_reason",
    "mfa",
    "federation",
    NAME_STATUS_ATTRIBUTE,
)
# What a question and its escalation quote of the sign-in (`SigninRecord.signin`).
QUESTION_ATTRIBUTES = (
    "event_time",
    RECEIVED_AT_ATTRIBUTE,
    *PRINCIPAL_ATTRIBUTES,
    "mfa",
    "federation",
    "severity",
    "title",
    "change",  # an account change's words: the question was about it (issue 23)
)
# What the indexes of every sign-in project: what a listing shows and what filters it,
# so an index page carries many sign-ins (the user agent, up to 1 KB, stays out).
# DynamoDB allows 100 such attributes over all indexes of a table.
LISTING_ATTRIBUTES = (*ENTRY_ATTRIBUTES, "event_name", "who", "categories")

# DynamoDB allows 100 projected attributes summed over all indexes of a table: the
# sparse indexes (a category's sign-ins, by time, name or account; the directory)
# project every attribute, which costs little, and the three that hold every sign-in
# project what a listing needs.
MAX_PROJECTED_ATTRIBUTES = 100


def _index(
    name: str, hash_attribute: str, sort_attribute: str, projected: tuple[str, ...] | None
) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": "ALL"}
    if projected is not None:
        projection = {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(projected)}
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_attribute, "KeyType": "HASH"},
            {"AttributeName": sort_attribute, "KeyType": "RANGE"},
        ],
        "Projection": projection,
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
        _index(SIGNIN_INDEX, SIGNIN_PARTITION_ATTRIBUTE, "at", LISTING_ATTRIBUTES),
        *(
            _index(CATEGORY_INDEXES[category], CATEGORY_PARTITION_ATTRIBUTES[category], "at", None)
            for category in Category
        ),
        _index(NAME_INDEX, NAME_PARTITION_ATTRIBUTE, "at", LISTING_ATTRIBUTES),
        _index(ACCOUNT_INDEX, ACCOUNT_PARTITION_ATTRIBUTE, "at", LISTING_ATTRIBUTES),
        *(
            _index(indexes[category], attributes[category], "at", None)
            for indexes, attributes in (
                (CATEGORY_NAME_INDEXES, CATEGORY_NAME_ATTRIBUTES),
                (CATEGORY_ACCOUNT_INDEXES, CATEGORY_ACCOUNT_ATTRIBUTES),
            )
            for category in Category
        ),
        pending_index(),
    ]


def attribute_definitions() -> list[dict[str, str]]:
    names: list[str] = ["pk", "sk"]
    for index in index_definitions():
        for key in index["KeySchema"]:
            if key["AttributeName"] not in names:
                names.append(key["AttributeName"])
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def table_definition(name: str) -> dict[str, Any]:
    """Arguments for `create_table`: what `manage.py provision` and the tests create."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attribute_definitions(),
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": index_definitions(),
    }
