"""Every write that moves a sign-in item's states (`signin_record.py` draws them): the
commit's first put, the alert's claim (take over, give back, "sent") and the question's
(asked, answered, an escalation's lease). Each but "sent" is one conditional write on
the item, so a retry, a replayed click or two sweeps at once change it once; a refused
condition is a typed answer here (False, None or `ClaimLost`), never DynamoDB's
exception, and every write is one DynamoDB call (retries only where said).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.store.attributes import Write, number
from chalicelib.store.indexes import PENDING_DUE_ATTRIBUTE, PENDING_QUEUE, PENDING_QUEUE_ATTRIBUTE
from chalicelib.store.schema import confirm_due, confirm_due_until, event_key
from chalicelib.store.signin_record import AlertRef, AlertStatus, Claim, ConfirmState

# How long one sweep holds an escalation's claim while it posts.
ESCALATION_LEASE_SECONDS = 60
# The names an expression spells `#q`/`#due` (the index's keys, named in indexes.py).
_NAMES = {"#q": PENDING_QUEUE_ATTRIBUTE, "#due": PENDING_DUE_ATTRIBUTE}


class ClaimLost(Exception):
    """The alert's claim is no longer ours: another invocation took it over."""


def first_put(table: str, item: dict[str, Any]) -> Write:
    """The event's put in the commit: only if it is not recorded yet (the commit's
    transaction says when it was)."""
    return {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


class SigninWrites:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()

    def _update(self, event_id: str, expression: str, condition: str, **values: Any) -> bool:
        """One conditional UpdateItem: False when the item was not in the state the
        condition names (the only place that catches DynamoDB's refusal)."""
        used = {name: attr for name, attr in _NAMES.items() if name in expression + condition}
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

    # -- the alert -----------------------------------------------------------------
    def take_over(self, event_id: str, claim: Claim, *, now: float) -> bool:
        """Claim a `pending` alert, or one whose holder's lease expired
        (`AlertState.open_at`); False when another invocation holds it."""
        return self._update(
            event_id,
            "SET alert_status = :delivering, lease_until = :until, claim_id = :claim",
            "alert_status = :pending OR (alert_status = :delivering AND lease_until < :now)",
            delivering=_s(AlertStatus.DELIVERING),
            pending=_s(AlertStatus.PENDING),
            until=number(round(claim.until, 3)),
            claim=_s(claim.id),
            now=number(round(now, 3)),
        )

    def give_back(self, event_id: str, claim: Claim, *, attempts: int, error: str) -> None:
        """Give our claim back (`pending`), so that the next invocation posts at once.
        Raises `ClaimLost` when it is not ours any more."""
        if not self._update(
            event_id,
            "SET alert_status = :pending, attempts = attempts + :attempts, "
            "last_error = :error REMOVE lease_until, claim_id",
            "alert_status = :delivering AND claim_id = :mine",
            pending=_s(AlertStatus.PENDING),
            delivering=_s(AlertStatus.DELIVERING),
            mine=_s(claim.id),
            attempts={"N": str(attempts)},
            error=_s(error[:500]),
        ):
            raise ClaimLost(f"{event_id}: the claim was taken over")

    def mark_sent(
        self,
        event_id: str,
        *,
        attempts: int,
        reference: str,
        sent_at: float,
        deadline: float,
        also: Sequence[Write] = (),
    ) -> bool:
        """Record the post (`sent`), retried until `deadline` (a `monotonic()` time);
        `also` joins the same transaction. Unconditional: the message is posted either
        way. False when every attempt failed, and the caller must not post it again."""
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": event_key(event_id),
            "UpdateExpression": (
                "SET alert_status = :sent, attempts = attempts + :attempts, sent_at = :at, "
                "slack_ref = :ref REMOVE lease_until, claim_id, message"
            ),
            "ExpressionAttributeValues": {
                ":sent": _s(AlertStatus.SENT),
                ":attempts": {"N": str(attempts)},
                ":at": number(round(sent_at, 3)),
                ":ref": _s(reference or "-"),
            },
        }
        delay = 0.05
        while True:
            try:
                if also:
                    self._db.transact_write_items(TransactItems=[{"Update": update}, *also])
                else:
                    self._db.update_item(**update)
            except Exception:  # throttled, timed out, refused: all worth another try
                wait = self._rng.uniform(delay / 2, delay)
                if self._monotonic() + wait >= deadline:
                    return False
                self._sleep(wait)
                delay = min(delay * 2, 1.0)
                continue
            return True

    # -- the question --------------------------------------------------------------
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
            due=_s(confirm_due(int(due.timestamp()), event_id)),
        )

    def not_asked(self, event_id: str, *, user_id: str, reason: str) -> bool:
        """The question could not be sent (`failed`): False when asked before."""
        return self._update(
            event_id,
            "SET confirm_state = :failed, confirm_user = :user, confirm_error = :reason",
            "attribute_exists(pk) AND attribute_not_exists(confirm_state)",
            failed=_s(ConfirmState.FAILED),
            user=_s(user_id or "-"),
            reason=_s(reason[:300] or "-"),
        )

    def answered(self, event_id: str, state: ConfirmState, *, user_id: str, at: datetime) -> bool:
        """Record the asked person's answer (`confirmed` or `denied`), once. A denial
        queues its escalation (due now) and takes over any silence escalation's lease;
        a confirmation leaves the queue. False when it was answered already."""
        if state is ConfirmState.CONFIRMED:
            expression = (
                "SET confirm_state = :new, confirm_answered_by = :user, "
                "confirm_answered_at = :at REMOVE #q, #due, confirm_lease"
            )
            queue: dict[str, Any] = {}
        elif state is ConfirmState.DENIED:
            expression = (
                "SET confirm_state = :new, confirm_answered_by = :user, "
                "confirm_answered_at = :at, #q = :queue, #due = :due REMOVE confirm_lease"
            )
            due = confirm_due(int(at.timestamp()), event_id)
            queue = {"queue": _s(PENDING_QUEUE), "due": _s(due)}
        else:
            raise ValueError(f"{state.value} is not an answer")
        return self._update(
            event_id,
            expression,
            "confirm_user = :user AND confirm_state IN (:asked, :unanswered)",
            new=_s(state),
            user=_s(user_id),
            at=_s(at.isoformat()),
            asked=_s(ConfirmState.ASKED),
            unanswered=_s(ConfirmState.UNANSWERED),
            **queue,
        )

    def claim_escalation(
        self, event_id: str, *, seen: ConfirmState, after: ConfirmState, now: datetime
    ) -> datetime | None:
        """Take the right to post this item's escalation, moving `seen` to `after`
        (`QuestionState.after_claim`): its lease's end, or None when it is not due,
        another sweep holds it, or the state moved on."""
        lease = now + timedelta(seconds=ESCALATION_LEASE_SECONDS)
        claimed = self._update(
            event_id,
            "SET confirm_state = :after, confirm_lease = :lease",
            "#q = :queue AND #due <= :until AND confirm_state = :seen "
            "AND (attribute_not_exists(confirm_lease) OR confirm_lease < :now)",
            after=_s(after),
            lease=_s(lease.isoformat()),
            queue=_s(PENDING_QUEUE),
            until=_s(confirm_due_until(int(now.timestamp()))),
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

    def release_escalation(self, event_id: str, *, lease: datetime) -> bool:
        """Posting failed: the next sweep tries again. False when the lease was lost."""
        return self._update(
            event_id,
            "REMOVE confirm_lease",
            "confirm_lease = :lease",
            lease=_s(lease.isoformat()),
        )


def _s(value: str) -> dict[str, str]:
    return {"S": str(value)}
