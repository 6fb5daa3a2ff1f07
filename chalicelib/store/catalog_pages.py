"""The principal catalog's pages: packing each shard's entries, and reading them back.

A principal enters its catalog shard as one element of a string set on the shard's
first page (an idempotent ADD in its first sign-in's transaction). Read back, tens of
thousands of elements cost the reader (botocore parses each on its own) most of a
`/recent-logins WHO` answer's time. Once an hour this moves each shard's elements into
`packed`, one string (joined by ASCII's record separator, which no entry holds): a
`DELETE` of exactly the elements it read, so an entry added meanwhile stays in the set,
and conditional on `packed` being what it read, so two runs never lose one.

An item holds 400 KB. A first page whose entries would pass `FIRST_PAGE_BYTES` moves
them all into further pages of at most `PAGE_BYTES` (written once, in the same
transaction that counts them on the first page), so the first page always has room for
the next principals and the catalog grows without bound. A commit DynamoDB refuses
because a first page is full (more new principals within the hour than it has room for:
a bulk import) calls `make_room` and tries again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.store.attributes import read_int
from chalicelib.store.schema import (
    CATALOG_ENTRIES,
    CATALOG_PACKED,
    CATALOG_PAGES,
    CATALOG_SEPARATOR,
    CATALOG_SHARDS,
    catalog_key,
    catalog_shard_of,
)

# Fewer elements than this cost the reader little: the shard is left as it is.
PACK_FROM = 50
# A first page's entries, at most: 64 of them (about 85,000 principals) stay within one
# BatchGetItem's 16 MB, and each leaves 240 KB of room for the hour's new principals.
FIRST_PAGE_BYTES = 160_000
# A further page's entries, at most (DynamoDB's limit is 400 KB with the key).
PAGE_BYTES = 380_000


def first_page_keys() -> list[dict[str, Any]]:
    return [catalog_key(shard) for shard in range(CATALOG_SHARDS)]


def further_page_keys(first_pages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The keys of the further pages the first pages (as read) count: none until the
    catalog outgrows its first pages."""
    return [
        catalog_key(shard, page)
        for item in first_pages
        if (shard := catalog_shard_of(item)) is not None
        for page in range(1, read_int(item, CATALOG_PAGES) + 1)
    ]


def catalog_entries(pages: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every entry the pages hold (as read), loose or packed."""
    entries: list[str] = []
    for item in pages:
        entries += item.get(CATALOG_ENTRIES, {}).get("SS", [])
        packed = item.get(CATALOG_PACKED, {}).get("S")
        if packed:
            entries += packed.split(CATALOG_SEPARATOR)
    return entries


@dataclass(frozen=True)
class Packed:
    """What an hourly packing did, and how large the catalog is: its further pages are
    what makes `/recent-logins WHO` read more than its first pages' one call."""

    entries: int  # loose entries packed
    further_pages: int  # as it found them, besides the 64 first pages


def pack_catalog(dynamodb: Any, table: str, *, pack_from: int = PACK_FROM) -> Packed:
    """Pack every shard holding at least `pack_from` loose entries, or more than its
    first page should. The first pages are read with one BatchGetItem (more only for
    what DynamoDB leaves unprocessed); a shard another run packed meanwhile is left for
    the next run."""
    first_pages = _first_pages(dynamodb, table)
    entries = sum(_pack(dynamodb, table, item, pack_from=pack_from) for item in first_pages)
    pages = sum(read_int(item, CATALOG_PAGES) for item in first_pages)
    return Packed(entries, pages)


def make_room(dynamodb: Any, table: str, shard: int) -> bool:
    """Move every entry of one shard's first page into further pages, now: it was too
    full to take a new principal. False when it held nothing to move (so its size was
    not what DynamoDB refused)."""
    response = dynamodb.get_item(TableName=table, Key=catalog_key(shard), ConsistentRead=True)
    item = response.get("Item") or {}
    if not item.get(CATALOG_ENTRIES) and not item.get(CATALOG_PACKED):
        return False
    _pack(dynamodb, table, item, pack_from=0, spill=True)
    return True  # or another run packed it meanwhile: room either way


def relieve_full_pages(
    dynamodb: Any, writes: Sequence[Mapping[str, Any]], reasons: Sequence[Mapping[str, Any]]
) -> bool:
    """After DynamoDB cancelled a transaction: make room on each catalog first page it
    refused a write to for the item's size (`ValidationError`, the reasons in the order
    of the writes). Whether there was one, and room is made: try the writes again."""
    full = [
        (write["Update"]["TableName"], shard)
        for write, reason in zip(writes, reasons, strict=False)
        if reason.get("Code") == "ValidationError" and "Update" in write
        if (shard := catalog_shard_of(write["Update"]["Key"])) is not None
    ]
    return bool(full) and all(make_room(dynamodb, table, shard) for table, shard in full)


def _pack(
    dynamodb: Any, table: str, item: Mapping[str, Any], *, pack_from: int, spill: bool = False
) -> int:
    loose: list[str] = item.get(CATALOG_ENTRIES, {}).get("SS", [])
    before: str | None = item.get(CATALOG_PACKED, {}).get("S")
    lines = set(before.split(CATALOG_SEPARATOR)) if before else set()
    text = CATALOG_SEPARATOR.join(sorted(lines | set(loose)))
    spill = spill or len(text.encode()) > FIRST_PAGE_BYTES
    if len(loose) < pack_from and not spill:
        return 0
    names = {"#packed": CATALOG_PACKED}
    values: dict[str, Any] = {}
    condition = "attribute_not_exists(#packed)"
    if before is not None:
        condition, values[":before"] = "#packed = :before", {"S": before}
    removal = ""
    if loose:
        names["#entries"], values[":loose"] = CATALOG_ENTRIES, {"SS": loose}
        removal = " DELETE #entries :loose"
    key = {"pk": item["pk"], "sk": item["sk"]}
    try:
        if not spill:
            values[":text"] = {"S": text}
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET #packed = :text" + removal,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        else:
            entries = sorted(lines | set(loose))
            _spill(dynamodb, table, item, entries, names, values, condition, removal)
    except (
        dynamodb.exceptions.ConditionalCheckFailedException,
        dynamodb.exceptions.TransactionCanceledException,
    ):
        return 0  # another run packed it meanwhile: the next run sees what it left
    return len(loose)


def _spill(
    dynamodb: Any,
    table: str,
    item: Mapping[str, Any],
    entries: list[str],
    names: dict[str, str],
    values: dict[str, Any],
    condition: str,
    removal: str,
) -> None:
    """Every entry of a first page into new further pages, and the first page emptied
    and counting them, in one transaction: conditional on the page being as read."""
    shard = catalog_shard_of(item)
    assert shard is not None, "only a catalog page is packed"
    pages = read_int(item, CATALOG_PAGES)
    chunks = _chunks(entries, PAGE_BYTES)
    writes: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table,
                "Item": {**catalog_key(shard, pages + number), CATALOG_PACKED: {"S": chunk}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        for number, chunk in enumerate(chunks, start=1)
    ]
    names["#pages"] = CATALOG_PAGES
    values[":pages"] = {"N": str(pages + len(chunks))}
    counted = "attribute_not_exists(#pages)"
    if pages:
        counted, values[":counted"] = "#pages = :counted", {"N": str(pages)}
    update = {
        "TableName": table,
        "Key": {"pk": item["pk"], "sk": item["sk"]},
        "UpdateExpression": "SET #pages = :pages REMOVE #packed" + removal,
        "ConditionExpression": f"({condition}) AND {counted}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    dynamodb.transact_write_items(TransactItems=[*writes, {"Update": update}])


def bulk_pages(shard: int, entries: set[str]) -> list[dict[str, Any]]:
    """A shard's pages as packing would leave them, for bulk writers (the bench, tests)
    that load a ledger with BatchWriteItem."""
    text = CATALOG_SEPARATOR.join(sorted(entries))
    if len(text.encode()) <= FIRST_PAGE_BYTES:
        return [{**catalog_key(shard), CATALOG_PACKED: {"S": text}}]
    chunks = _chunks(sorted(entries), PAGE_BYTES)
    first = {**catalog_key(shard), CATALOG_PAGES: {"N": str(len(chunks))}}
    further = [
        {**catalog_key(shard, page), CATALOG_PACKED: {"S": chunk}}
        for page, chunk in enumerate(chunks, start=1)
    ]
    return [first, *further]


def _chunks(entries: list[str], limit: int) -> list[str]:
    """The entries joined into texts of at most `limit` bytes each."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for entry in entries:
        length = len(entry.encode()) + 1
        if current and size + length > limit:
            chunks.append(CATALOG_SEPARATOR.join(current))
            current, size = [], 0
        current.append(entry)
        size += length
    if current:
        chunks.append(CATALOG_SEPARATOR.join(current))
    return chunks


def _first_pages(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """Every shard's first page there is, read consistently. A response is at most
    16 MB, so full pages may come back unprocessed: asked again, at most once per shard."""
    request: dict[str, Any] = {table: {"Keys": first_page_keys(), "ConsistentRead": True}}
    items: list[dict[str, Any]] = []
    for _ in range(CATALOG_SHARDS):
        response = dynamodb.batch_get_item(RequestItems=request)
        items += response.get("Responses", {}).get(table, [])
        request = response.get("UnprocessedKeys") or {}
        if not request:
            break
    return items
