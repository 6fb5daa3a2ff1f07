"""Bursts in DynamoDB: the burst item (`BURST#<subject>`), put in the commit only if
none is open so that exactly one instance opens it, with the burst's running count
(failures, per-IP counts, last failure) so that its summaries never read a window; its
line in the sweep's list (`OPEN_BURSTS`); and the sweep's own reads and writes.

Two clocks: `first_epoch`/`last_epoch` are event times (what messages show), and
`last_arrival` is the wall clock when the last failure reached the handler (what the
sweep judges a storm quiet by: CloudTrail delivers minutes late). `told_last_epoch` is
the "last" the latest message showed, so that "Last" never goes backwards when records
arrive out of order; `opened_epoch` finds the digest's line, rewritten with the count
each summary tells.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.severity import Severity
from chalicelib.store.attributes import (
    DAY_SECONDS,
    TTL_ATTRIBUTE,
    Write,
    bounded,
    expires_at,
    number,
    read_int,
    read_number,
)
from chalicelib.store.schema import OPEN_BURSTS, burst_key, burst_line_key, open_burst_key
from chalicelib.storms.decision import (
    IP_ATTRIBUTE_PREFIX,
    PER_IP,
    Burst,
    Dimension,
    Opener,
    Subject,
    WindowCount,
)
from chalicelib.storms.windows import (
    MAX_NAME,
    MAX_TRACKED_IPS,
    MAX_TRACKED_NAMES,
    Tried,
    add_expression,
    count_of,
    tracks_ip,
    tracks_name,
)

# The digest's line outlives the burst's day by this much when a summary must write it
# anew (its day's items already gone); it is written with its day's TTL when it opens.
SUMMARY_LINE_DAYS = 3


def open_writes(
    table: str, burst: Burst, count: WindowCount, *, epoch: int, failures: int
) -> list[Write]:
    """The burst item (only if no burst of this subject is open) and its line in the
    sweep's list. `epoch`: the opener's event time; it arrived at `last_summary_at`."""
    subject = burst.subject
    ttl = expires_at(burst.until_epoch, DAY_SECONDS)
    item: dict[str, Any] = {
        **burst_key(subject.id),
        "until_epoch": number(burst.until_epoch),
        "opener_event_id": {"S": burst.opener_event_id},
        "first_epoch": number(count.first_epoch),
        "last_epoch": number(count.last_epoch),
        "n": number(count.count),
        "failures": number(failures),
        "summarised_count": number(burst.summarised_count),
        "summarised_failures": number(failures),
        "severity": {"S": burst.severity.name},
        "last_summary_at": number(round(burst.last_summary_at, 3)),
        "last_arrival": number(round(burst.last_summary_at, 3)),
        "told_last_epoch": number(count.last_epoch),
        "opened_epoch": number(epoch),
        "dimension": {"S": subject.dimension.value},
        "account_id": {"S": subject.account_id},
        "subject_key": {"S": bounded(subject.key)},
        "label": {"S": bounded(subject.label)},
        "opener_principal": {"S": bounded(burst.opener.principal)},
        "opener_mfa": {"S": burst.opener.mfa},
        "opener_ip": {"S": burst.opener.source_ip[:100]},
        TTL_ATTRIBUTE: ttl,
    }
    for ip, n in count.ips[:MAX_TRACKED_IPS]:
        item[IP_ATTRIBUTE_PREFIX + ip] = number(n)
    for attribute, names in (("names", count.names), ("watched", count.watched)):
        if names:  # a string set cannot be empty
            item[attribute] = {"SS": [name[:MAX_NAME] for name in names[:MAX_TRACKED_NAMES]]}
    return [
        {
            "Put": {
                "TableName": table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk) OR until_epoch <= :epoch",
                "ExpressionAttributeValues": {":epoch": number(epoch)},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": {
                    **open_burst_key(subject.id),
                    "until_epoch": number(burst.until_epoch),
                    TTL_ATTRIBUTE: ttl,
                },
            }
        },
    ]


def add_to_burst(
    table: str,
    burst: Burst,
    item: Mapping[str, Any],
    *,
    epoch: int,
    ip: str | None,
    counts: bool,
    arrived_at: float,
    claim_summary_at: float | None = None,
    tried: Tried | None = None,
) -> Write:
    """Add a failure that arrived at `arrived_at` (wall clock) to an open burst's
    running count (`counts`: False for a spraying burst's repeated user name, which adds
    a failure but no name). With `claim_summary_at`, also take the right to post its
    next summary (only if nobody took it since the read)."""
    per_ip = burst.subject.dimension in PER_IP
    update = add_expression(
        ip if per_ip and tracks_ip(item, ip) else None,
        epoch,
        failures=True,
        n=int(counts),
        tried=tried if counts and tracks_name(item, tried) else None,
    )
    values = update["ExpressionAttributeValues"]
    values[":opener"] = {"S": burst.opener_event_id}
    update["UpdateExpression"] += ", last_arrival = :arrived"
    values[":arrived"] = number(round(arrived_at, 3))
    condition = "opener_event_id = :opener"
    if claim_summary_at is not None:
        update["UpdateExpression"] += ", last_summary_at = :now"
        values[":now"] = number(round(claim_summary_at, 3))
        values[":seen"] = number(round(burst.last_summary_at, 3))
        condition += " AND last_summary_at = :seen"
    update.update({"TableName": table, "Key": burst_key(burst.subject.id)})
    update["ConditionExpression"] = condition
    return {"Update": update}


def remember_message(table: str, burst: Burst, *, ts: str, channel: str) -> Write:
    """Where the burst alert was posted, so summaries can update it and reply in its
    thread; written with the opener's "sent" mark."""
    return {
        "Update": {
            "TableName": table,
            "Key": burst_key(burst.subject.id),
            "UpdateExpression": "SET message_ts = :ts, message_channel = :channel",
            "ConditionExpression": "opener_event_id = :opener",
            "ExpressionAttributeValues": {
                ":ts": {"S": ts},
                ":channel": {"S": channel or "-"},
                ":opener": {"S": burst.opener_event_id},
            },
        }
    }


def subject_of(item: Mapping[str, Any]) -> Subject | None:
    if "dimension" not in item:
        return None
    try:
        dimension = Dimension(item["dimension"]["S"])
    except ValueError:
        return None
    return Subject(
        dimension,
        item.get("account_id", {}).get("S", ""),
        item.get("subject_key", {}).get("S", ""),
        item.get("label", {}).get("S", ""),
    )


def burst_of(subject: Subject, item: Mapping[str, Any]) -> Burst:
    return Burst(
        subject=subject,
        until_epoch=read_int(item, "until_epoch"),
        opener_event_id=item.get("opener_event_id", {}).get("S", ""),
        first_epoch=read_int(item, "first_epoch"),
        summarised_count=read_int(item, "summarised_count"),
        last_summary_at=read_number(item, "last_summary_at"),
        message_ts=item.get("message_ts", {}).get("S", ""),
        message_channel=item.get("message_channel", {}).get("S", ""),
        opener=Opener(
            item.get("opener_principal", {}).get("S", subject.label),
            item.get("opener_mfa", {}).get("S", "unknown"),
            item.get("opener_ip", {}).get("S", ""),
        ),
        # A burst opened before `last_arrival` existed: its last failure's event time.
        last_arrival=read_number(item, "last_arrival", read_int(item, "last_epoch")),
        opened_epoch=read_int(item, "opened_epoch"),
        summarised_failures=read_int(item, "summarised_failures"),
        severity=Severity.__members__.get(item.get("severity", {}).get("S", ""), Severity.HIGH),
    )


def running_count(subject: Subject, item: Mapping[str, Any], epoch: int) -> WindowCount:
    """The burst's running count as its item holds it; "last" never earlier than the
    last message showed (a record delivered late is an earlier failure, not news)."""
    count = count_of(subject, [item], epoch)
    told = read_int(item, "told_last_epoch")
    return replace(count, last_epoch=max(count.last_epoch, told))


class BurstSweep:
    """The scheduled sweep's reads and writes, and a summary's claim and outcome."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def open_burst_ids(self) -> list[str]:
        ids: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": OPEN_BURSTS}},
        }
        while True:
            response = self._db.query(**kwargs)
            ids.extend(item["sk"]["S"] for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return ids
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get(self, subject_id: str) -> tuple[Burst, WindowCount, int] | None:
        """The burst, its running count and (spraying) its failures."""
        item = self._db.get_item(
            TableName=self._table, Key=burst_key(subject_id), ConsistentRead=True
        ).get("Item")
        subject = subject_of(item or {})
        if not item or subject is None:
            return None
        burst = burst_of(subject, item)
        count = running_count(subject, item, burst.until_epoch)
        return burst, count, read_int(item, "failures")

    def forget(self, subject_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=open_burst_key(subject_id))

    def claim_summary(self, burst: Burst, *, wall_now: float) -> bool:
        """Take the right to post this burst's next summary, unless another instance
        took it since `burst` was read."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=burst_key(burst.subject.id),
                UpdateExpression="SET last_summary_at = :now",
                ConditionExpression="opener_event_id = :opener AND last_summary_at = :seen",
                ExpressionAttributeValues={
                    ":now": number(round(wall_now, 3)),
                    ":seen": number(round(burst.last_summary_at, 3)),
                    ":opener": {"S": burst.opener_event_id},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def summarised(
        self, burst: Burst, count: WindowCount, *, line: str, failures: int | None = None
    ) -> None:
        """What the latest message told (its count, "last" and a spray's failures), and
        the digest's line for the burst rewritten with it: one call."""
        told: Write = {
            "Update": {
                "TableName": self._table,
                "Key": burst_key(burst.subject.id),
                "UpdateExpression": "SET summarised_count = :count, told_last_epoch = :last"
                + (", summarised_failures = :failures" if failures is not None else ""),
                "ConditionExpression": "opener_event_id = :opener",
                "ExpressionAttributeValues": {
                    ":count": number(count.count),
                    ":last": number(count.last_epoch),
                    ":opener": {"S": burst.opener_event_id},
                    **({":failures": number(failures)} if failures is not None else {}),
                },
            }
        }
        if not burst.opened_epoch:  # opened before its line could be found
            self._db.update_item(**told["Update"])
            return
        digest_line: Write = {
            "Update": {
                "TableName": self._table,
                "Key": burst_line_key(burst.subject.id, burst.opened_epoch),
                "UpdateExpression": "SET #text = :text, #ttl = if_not_exists(#ttl, :ttl)",
                "ExpressionAttributeNames": {"#text": "text", "#ttl": TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {
                    ":text": {"S": line[:1000]},
                    ":ttl": expires_at(burst.opened_epoch, SUMMARY_LINE_DAYS * DAY_SECONDS),
                },
            }
        }
        self._db.transact_write_items(TransactItems=[told, digest_line])

    def give_back_summary(self, burst: Burst, *, claimed_at: float) -> None:
        """A summary that could not go out: let the next failure try again."""
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=burst_key(burst.subject.id),
                UpdateExpression="SET last_summary_at = :previous",
                ConditionExpression="last_summary_at = :claimed",
                ExpressionAttributeValues={
                    ":previous": number(round(burst.last_summary_at, 3)),
                    ":claimed": number(round(claimed_at, 3)),
                },
            )
