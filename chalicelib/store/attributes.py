"""DynamoDB attribute values the ledger's items share: numbers, TTLs, bounded key text,
and the one item of a transaction (`Write`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

TTL_ATTRIBUTE = "expires_at"
# Every TTL lies in here: 1970 on, up to the last second a datetime can hold (a sign-in
# dated 9999-11-01 plus 90 days would overflow). DynamoDB ignores a TTL more than five
# years past, so a writer that knows the time passes `now` as the floor instead: an item
# about a sign-in dated year 1 then expires at the next sweep, not never.
MIN_TTL_EPOCH = 0
MAX_TTL_EPOCH = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
DAY_SECONDS = 86_400

# One item of a TransactWriteItems call (`{"Put": ...}`, `{"Update": ...}`, ...): the
# pipeline's writes are values, so any step may add one to the sign-in's commit.
Write = dict[str, Any]
# Names and user agents are chosen by whoever signs in: key text stays bounded.
MAX_KEY_TEXT = 400
BATCH_GET_LIMIT = 100


def number(value: int | float) -> dict[str, str]:
    """A DynamoDB number; floats keep millisecond precision."""
    if isinstance(value, float):
        return {"N": str(Decimal(repr(round(value, 3))))}
    return {"N": str(value)}


def epoch_seconds(moment: datetime | date | float) -> int:
    """A moment (naive means UTC), a UTC day or epoch seconds, as whole epoch seconds."""
    if isinstance(moment, datetime):
        return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp())
    if isinstance(moment, date):
        return int(datetime(moment.year, moment.month, moment.day, tzinfo=UTC).timestamp())
    return int(moment)


def expires_at(
    start: datetime | date | float,
    keep_seconds: float,
    *,
    now: datetime | float | None = None,
) -> dict[str, str]:
    """The TTL attribute's value: `keep_seconds` after `start`, clamped into
    [`now` (else MIN_TTL_EPOCH), MAX_TTL_EPOCH]. The one place a TTL is computed:
    integer arithmetic on epoch seconds, so no start, however far out, overflows."""
    floor = MIN_TTL_EPOCH if now is None else max(MIN_TTL_EPOCH, epoch_seconds(now))
    seconds = epoch_seconds(start) + int(keep_seconds)
    return {"N": str(min(max(seconds, floor), MAX_TTL_EPOCH))}


def read_number(item: Mapping[str, Any], name: str, default: float = 0) -> float:
    try:
        return float(item[name]["N"])
    except (KeyError, TypeError, ValueError):
        return default


def read_int(item: Mapping[str, Any], name: str, default: int = 0) -> int:
    return int(read_number(item, name, default))


def bounded(text: str) -> str:
    return text[:MAX_KEY_TEXT]


def epoch_of(moment: datetime) -> int:
    return int(moment.timestamp())


def expires_after(epoch: int, days: int) -> dict[str, str]:
    """The TTL attribute of an item that may go `days` after `epoch` (integer
    arithmetic: no date overflow for any event time), clamped as `expires_at` does."""
    return expires_at(epoch, days * DAY_SECONDS)


def day_epoch(day: str) -> int:
    """The first second (UTC) of a `YYYY-MM-DD` day."""
    return epoch_of(datetime.fromisoformat(day).replace(tzinfo=UTC))


def versioned_put(table: str, item: dict[str, Any], seen: int) -> Write:
    """A transaction's Put of an item that carries a `version`: conditional on the
    version read (`seen`), or on there being none yet, so a writer that read an older
    state loses and decides again."""
    put: dict[str, Any] = {"TableName": table, "Item": item}
    if seen:
        put["ConditionExpression"] = "version = :seen"
        put["ExpressionAttributeValues"] = {":seen": number(seen)}
    else:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    return {"Put": put}


def base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        if not number:
            return digits
