"""Creating the ledger table and bringing its indexes up to date (`manage.py provision`)."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.store.attributes import TTL_ATTRIBUTE
from chalicelib.store.indexes import attribute_definitions, index_definitions, table_definition


def create_ledger_table(dynamodb: Any, name: str, *, poll_seconds: float = 5.0) -> bool:
    """Create the table with its indexes and turn on TTL; True when it was created,
    False if it existed. An existing table gets whichever indexes it lacks, one at a
    time (DynamoDB builds one per UpdateTable), waiting for each to become active."""
    created = True
    try:
        dynamodb.create_table(**table_definition(name))
    except dynamodb.exceptions.ResourceInUseException:
        created = False
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    if not created:
        add_missing_indexes(dynamodb, name, poll_seconds=poll_seconds)
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    return created


def add_missing_indexes(dynamodb: Any, name: str, *, poll_seconds: float = 5.0) -> list[str]:
    """The names of the indexes added; an empty list when all were there."""
    added: list[str] = []
    for index in index_definitions():
        existing = _index_states(dynamodb, name)
        if index["IndexName"] in existing:
            continue
        used = {attribute["AttributeName"] for attribute in index["KeySchema"]}
        dynamodb.update_table(
            TableName=name,
            AttributeDefinitions=[
                definition
                for definition in attribute_definitions()
                if definition["AttributeName"] in used
            ],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        added.append(index["IndexName"])
        _wait_until_active(dynamodb, name, poll_seconds)
    return added


def _index_states(dynamodb: Any, name: str) -> dict[str, str]:
    table = dynamodb.describe_table(TableName=name)["Table"]
    return {
        index["IndexName"]: index.get("IndexStatus", "ACTIVE")
        for index in table.get("GlobalSecondaryIndexes", [])
    }


def _wait_until_active(dynamodb: Any, name: str, poll_seconds: float) -> None:
    # Building an index on a large table takes minutes on AWS; moto's is instant.
    while any(state != "ACTIVE" for state in _index_states(dynamodb, name).values()):
        time.sleep(poll_seconds)
