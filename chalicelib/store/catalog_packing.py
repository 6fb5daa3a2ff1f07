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
    The shards are read with one BatchGetItem (more only for what DynamoDB leaves
    unprocessed); a shard another run packed meanwhile is left for the next run."""
    packed = 0
    for item in _shards(dynamodb, table):
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
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET #packed = :text DELETE #entries :loose",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#packed": CATALOG_PACKED, "#entries": CATALOG_ENTRIES},
                ExpressionAttributeValues=values,
            )
        except dynamodb.exceptions.ConditionalCheckFailedException:
            continue
        packed += len(loose)
    return packed


def _shards(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every catalog shard there is, read consistently. A response is at most 16 MB, so
    full shards may come back unprocessed: asked again, at most once per shard."""
    request: dict[str, Any] = {
        table: {
            "Keys": [catalog_key(shard) for shard in range(CATALOG_SHARDS)],
            "ConsistentRead": True,
        }
    }
    items: list[dict[str, Any]] = []
    for _ in range(CATALOG_SHARDS):
        response = dynamodb.batch_get_item(RequestItems=request)
        items += response.get("Responses", {}).get(table, [])
        request = response.get("UnprocessedKeys") or {}
        if not request:
            break
    return items
