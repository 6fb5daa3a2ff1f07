"""The question's writes and reads on the sign-in's ledger item (see `state.py` for the
states): every change one conditional UpdateItem, so a replayed click, a Lambda retry
or two sweeps at once change it once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import logs
from chalicelib.confirm.state import AlertRef, Answer, AskedSignin, ConfirmState, due_key
from chalicelib.store.day_tally import DayTally
from chalicelib.store.indexes import (
    PENDING_DUE_ATTRIBUTE,
    PENDING_INDEX,
    PENDING_QUEUE,
    PENDING_QUEUE_ATTRIBUTE,
)
from chalicelib.store.schema import BATCH_GET_LIMIT, event_key

LEASE_SECONDS = 60


class ConfirmLedger:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    # -- reads ---------------------------------------------------------------------
    def read(self, event_id: str) -> AskedSignin | None:
        response = self._db.get_item(
            TableName=self._table, Key=event_key(event_id), ConsistentRead=True
        )
        item = response.get("Item")
        return AskedSignin.from_item(item) if item else None

    def due(self, now: datetime, *, limit: int = 50) -> list[str]:
        """EventIDs whose escalation is due: one Query of the sparse index."""
        response = self._db.query(
            TableName=self._table,
            IndexName=PENDING_INDEX,
            KeyConditionExpression="#q = :q AND #due <= :until",
            ExpressionAttributeNames={
                "#q": PENDING_QUEUE_ATTRIBUTE,
                "#due": PENDING_DUE_ATTRIBUTE,
            },
            ExpressionAttributeValues={
                ":q": {"S": PENDING_QUEUE},
                # `$` sorts after `#`: every key of this second is included.
                ":until": {"S": f"{max(0, int(now.timestamp())):010d}$"},
            },
            Limit=limit,
        )
        return [item["pk"]["S"].removeprefix("EVENT#") for item in response.get("Items", [])]

    def states(self, event_ids: Iterable[str]) -> dict[str, ConfirmState]:
        """The question state of each listed sign-in (for `/recent-logins`): one
        BatchGetItem of two attributes per hundred sign-ins; unasked ones are absent."""
        wanted = list(dict.fromkeys(event_ids))
        found: dict[str, ConfirmState] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys = [event_key(event_id) for event_id in wanted[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {
                self._table: {"Keys": keys, "ProjectionExpression": "event_id, confirm_state"}
            }
            for _ in range(3):  # unprocessed keys: a throttled partition, tried again
                response = self._db.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    asked = AskedSignin.from_item(item)
                    if asked.state is not ConfirmState.NOT_ASKED:
                        found[asked.event_id] = asked.state
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    # -- writes --------------------------------------------------------------------
    def _update(self, event_id: str, expression: str, condition: str, **values: Any) -> bool:
        names = {"#q": PENDING_QUEUE_ATTRIBUTE, "#due": PENDING_DUE_ATTRIBUTE}
        used = {name: attr for name, attr in names.items() if name in expression + condition}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "Key": event_key(event_id),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {f":{name}": value for name, value in values.items()},
        }
        if used:
            kwargs["ExpressionAttributeNames"] = used
        try:
            self._db.update_item(**kwargs)
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def asked(
        self,
        event_id: str,
        *,
        user_id: str,
        at: datetime,
        due: datetime,
        dm_channel: str,
        dm_ts: str,
        alert: AlertRef,
    ) -> bool:
        """The question was sent: False when this sign-in was asked about before."""
        return self._update(
            event_id,
            "SET confirm_state = :asked, confirm_user = :user, confirm_asked_at = :at, "
            "confirm_dm_channel = :dm_channel, confirm_dm_ts = :dm_ts, "
            "confirm_alert_channel = :alert_channel, confirm_alert_ts = :alert_ts, "
            "confirm_alert_text = :alert_text, confirm_alert_blocks = :alert_blocks, "
            "#q = :queue, #due = :due",
            "attribute_exists(pk) AND attribute_not_exists(confirm_state)",
            asked=_s(ConfirmState.ASKED),
            user=_s(user_id),
            at=_s(at.isoformat()),
            dm_channel=_s(dm_channel),
            dm_ts=_s(dm_ts),
            alert_channel=_s(alert.channel),
            alert_ts=_s(alert.ts),
            alert_text=_s(alert.text),
            alert_blocks=_s(json.dumps(list(alert.blocks), ensure_ascii=False)),
            queue=_s(PENDING_QUEUE),
            due=_s(due_key(due, event_id)),
        )

    def not_asked(self, event_id: str, *, user_id: str, reason: str) -> bool:
        return self._update(
            event_id,
            "SET confirm_state = :failed, confirm_user = :user, confirm_error = :reason",
            "attribute_exists(pk) AND attribute_not_exists(confirm_state)",
            failed=_s(ConfirmState.FAILED),
            user=_s(user_id or "-"),
            reason=_s(reason[:300] or "-"),
        )

    def answer(self, event_id: str, answer: Answer, *, user_id: str, at: datetime) -> bool:
        """Record the asked person's answer, once. A denial queues its escalation (due
        now) and takes over any silence escalation's lease; a confirmation leaves the
        queue."""
        if answer is Answer.WAS_ME:
            expression = (
                "SET confirm_state = :new, confirm_answered_by = :user, "
                "confirm_answered_at = :at REMOVE #q, #due, confirm_lease"
            )
            queue: dict[str, Any] = {}
        else:
            expression = (
                "SET confirm_state = :new, confirm_answered_by = :user, "
                "confirm_answered_at = :at, #q = :queue, #due = :due REMOVE confirm_lease"
            )
            queue = {"queue": _s(PENDING_QUEUE), "due": _s(due_key(at, event_id))}
        new = ConfirmState.CONFIRMED if answer is Answer.WAS_ME else ConfirmState.DENIED
        return self._update(
            event_id,
            expression,
            "confirm_user = :user AND confirm_state IN (:asked, :unanswered)",
            new=_s(new),
            user=_s(user_id),
            at=_s(at.isoformat()),
            asked=_s(ConfirmState.ASKED),
            unanswered=_s(ConfirmState.UNANSWERED),
            **queue,
        )

    def claim_escalation(
        self, event_id: str, *, seen: ConfirmState, now: datetime
    ) -> datetime | None:
        """Take the right to post this item's escalation: its lease's end, or None when
        it is not due, another sweep holds it, or the state moved on."""
        lease = now + timedelta(seconds=LEASE_SECONDS)
        after = ConfirmState.DENIED if seen is ConfirmState.DENIED else ConfirmState.UNANSWERED
        claimed = self._update(
            event_id,
            "SET confirm_state = :after, confirm_lease = :lease",
            "#q = :queue AND #due <= :until AND confirm_state = :seen "
            "AND (attribute_not_exists(confirm_lease) OR confirm_lease < :now)",
            after=_s(after),
            lease=_s(lease.isoformat()),
            queue=_s(PENDING_QUEUE),
            until=_s(f"{max(0, int(now.timestamp())):010d}$"),
            seen=_s(seen),
            now=_s(now.isoformat()),
        )
        return lease if claimed else None

    def escalated(self, event_id: str, *, lease: datetime, at: datetime, ts: str) -> bool:
        """The escalation was posted: it leaves the queue. False when an answer took
        the lease meanwhile (a denial queues its own escalation)."""
        return self._update(
            event_id,
            "SET confirm_escalated_at = :at, confirm_escalation_ts = :ts "
            "REMOVE #q, #due, confirm_lease",
            "confirm_lease = :lease",
            at=_s(at.isoformat()),
            ts=_s(ts or "-"),
            lease=_s(lease.isoformat()),
        )

    def release(self, event_id: str, *, lease: datetime) -> bool:
        """Posting failed: the next sweep tries again."""
        return self._update(
            event_id,
            "REMOVE confirm_lease",
            "confirm_lease = :lease",
            lease=_s(lease.isoformat()),
        )


def count(tally: DayTally, day: date, name: str) -> None:
    """One more question asked, confirmed, denied or unanswered in the day's digest
    counters. Only counted, so a failure is logged, never raised into an answer."""
    try:
        tally.count(day, {name: 1})
    except Exception as error:
        logs.emit({"message": "confirm: not counted", "counter": name, "error": repr(error)})


def _s(value: str) -> dict[str, str]:
    return {"S": str(value)}
