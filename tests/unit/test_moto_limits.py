"""GIVEN an item near DynamoDB's 400 KB WHEN an update would take it past THEN moto,
as the tests run it (`localdev/moto_limits.py`), refuses it as DynamoDB does: UpdateItem
with a ValidationException, TransactWriteItems by cancelling with a `ValidationError`
reason for that item; the item and the transaction's other writes stay as they were.
An update that stays within the limit goes through."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from localdev.moto_limits import ITEM_SIZE_LIMIT, TOO_LARGE
from tests.conftest import TABLE

KEY = {"pk": {"S": "BIG"}, "sk": {"S": "ITEM"}}
ENTRY = "x" * 1000


def near_the_limit(dynamodb: Any) -> int:
    """An item a few bytes under the limit (names and values, as DynamoDB counts)."""
    room = ITEM_SIZE_LIMIT - len("pkBIGskITEMentries") - 8
    entries = [f"{n:04d}{ENTRY}"[: min(1004, room - 1004 * n)] for n in range(room // 1004 + 1)]
    entries = [entry for entry in entries if entry]
    dynamodb.put_item(TableName=TABLE, Item={**KEY, "entries": {"SS": entries}})
    return len(entries)


def add(entry: str) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": KEY,
        "UpdateExpression": "ADD #e :v",
        "ExpressionAttributeNames": {"#e": "entries"},
        "ExpressionAttributeValues": {":v": {"SS": [entry]}},
    }


def held(dynamodb: Any) -> int:
    return len(dynamodb.get_item(TableName=TABLE, Key=KEY)["Item"]["entries"]["SS"])


def test_an_update_past_the_limit_is_refused_and_changes_nothing(dynamodb: Any) -> None:
    count = near_the_limit(dynamodb)

    with pytest.raises(ClientError) as refused:
        dynamodb.update_item(**add("y" * 100))

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == TOO_LARGE
    assert held(dynamodb) == count
    dynamodb.update_item(**add("y"))  # within the limit: taken
    assert held(dynamodb) == count + 1


def test_a_transaction_past_the_limit_is_cancelled_with_the_items_reason(dynamodb: Any) -> None:
    count = near_the_limit(dynamodb)
    other = {"pk": {"S": "OTHER"}, "sk": {"S": "ITEM"}}

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": other}}, {"Update": add("y" * 100)}]
        )

    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ValidationError"]
    assert reasons[1]["Message"] == TOO_LARGE
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key=other)
    assert held(dynamodb) == count
