"""Packing the principal catalog: each shard's set of entries into one string.

A principal enters its catalog shard as one element of a string set (an idempotent ADD
in its first sign-in's transaction). Read back, tens of thousands of elements cost the
reader (botocore parses each on its own) most of a `/recent-logins WHO` answer's time.
Once an hour this moves each shard's elements into `packed`, one string (joined by
ASCII's record separator, which no entry holds):
a `DELETE` of exactly the elements it read, so an entry added meanwhile stays in the
set, and conditional on `packed` being what it read, so two runs never lose one.
"""

from __future__ import annotations

from typing import Any

from chalicelib.store.schema import (
    CATALOG_ENTRIES,
    CATALOG_PACKED,
    CATALOG_SEPARATOR,
    CATALOG_SHARDS,
    catalog_key,
)

# Fewer elements than this cost the reader little: the shard is left as it is.
PACK_FROM = 50


def pack_catalog(dynamodb: Any, table: str, *, pack_from: int = PACK_FROM) -> int:
    """Pack every shard holding at least `pack_from` loose entries; how many it packed.
    A shard another run packed meanwhile is left for the next run."""
    packed = 0
    for shard in range(CATALOG_SHARDS):
        key = catalog_key(shard)
        item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
        loose = item.get(CATALOG_ENTRIES, {}).get("SS", [])
        if len(loose) < pack_from:
            continue
        before = item.get(CATALOG_PACKED, {}).get("S")
        lines = set(before.split(CATALOG_SEPARATOR)) if before else set()
        text = CATALOG_SEPARATOR.join(sorted(lines | set(loose)))
        condition = "#packed = :before" if before is not None else "attribute_not_exists(#packed)"
        values: dict[str, Any] = {":text": {"S": text}, ":loose": {"SS": loose}}
        if before is not None:
            values[":before"] = {"S": before}
        try:
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET #packed = :text DELETE #entries :loose",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#packed": CATALOG_PACKED, "#entries": CATALOG_ENTRIES},
                ExpressionAttributeValues=values,
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            continue
        packed += len(loose)
    return packed
