"""Root's CheckMfa and ConsoleLogin pairing in DynamoDB (judge/root_mfa.py decides).

The pairing item (`ROOTMFA#<principal>`/`IP#<ip>`) is read in the sign-in's gather
and put whole in its commit, only if its version is still the one read: two records of
one sign-in handled at once cannot both miss each other; the loser gathers again. A
waiting CheckMfa has a line in the sweep's list (`ROOT_MFA_DUE`); the sweep claims it
on the pairing item (which also moves the version, so a ConsoleLogin deciding at that
moment decides again), posts, and marks it alerted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from chalicelib.judge.root_mfa import CheckState, MfaCheck, PairState
from chalicelib.store.attributes import (
    DAY_SECONDS,
    TTL_ATTRIBUTE,
    Write,
    expires_at,
    number,
    read_int,
    read_number,
    versioned_put,
)
from chalicelib.store.schema import ROOT_MFA_DUE, root_mfa_due_key

# A sweep's claim on posting a CheckMfa's alert; a sweep that died loses it after this.
LEASE_SECONDS = 60
# The sweep reads at most this many due CheckMfa records a run; the next run the rest.
DUE_PAGE = 50


def _s(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name, {}).get("S", "")
    return value if isinstance(value, str) else ""


def check_of(item: Mapping[str, Any]) -> MfaCheck | None:
    if "check_id" not in item:
        return None
    try:
        state = CheckState(_s(item, "check_state"))
    except ValueError:
        state = CheckState.ALERTED  # unreadable: never posted twice
    return MfaCheck(
        event_id=_s(item, "check_id"),
        epoch=read_int(item, "check_epoch"),
        mfa_type=_s(item, "check_mfa_type"),
        device=_s(item, "check_device"),
        state=state,
        due=read_int(item, "check_due"),
        message=_s(item, "check_message"),
        channel=_s(item, "check_channel"),
        lease=read_number(item, "check_lease"),
    )


def state_of(item: Mapping[str, Any] | None) -> PairState:
    if not item:
        return PairState()
    logins = tuple(int(float(value.get("N", 0))) for value in item.get("logins", {}).get("L", []))
    return PairState(read_int(item, "version"), logins, check_of(item))


def pair_put(
    table: str, key: Mapping[str, Any], state: PairState, *, seen: int, now: float
) -> Write:
    """The whole pairing item, only if nobody wrote it since it was read at `seen`."""
    item: dict[str, Any] = {
        **key,
        "version": number(state.version),
        "logins": {"L": [number(epoch) for epoch in state.logins]},
        # Kept a day past anything it could still pair or the sweep could still post.
        TTL_ATTRIBUTE: expires_at(now, 2 * DAY_SECONDS, now=now),
    }
    check = state.check
    if check is not None:
        item.update(
            {
                "check_id": {"S": check.event_id},
                "check_epoch": number(check.epoch),
                "check_state": {"S": check.state.value},
                "check_due": number(check.due),
            }
        )
        for name, value in (
            ("check_mfa_type", check.mfa_type),
            ("check_device", check.device),
            ("check_message", check.message),
            ("check_channel", check.channel),
        ):
            if value:
                item[name] = {"S": value}
        if check.lease:  # a sweep's claim survives a sign-in's write of the item
            item["check_lease"] = number(round(check.lease, 3))
    return versioned_put(table, item, seen)


def due_put(table: str, key: Mapping[str, Any], check: MfaCheck) -> Write:
    """The CheckMfa's line in the sweep's list, naming its pairing item."""
    return {
        "Put": {
            "TableName": table,
            "Item": {
                **root_mfa_due_key(check.due, check.event_id),
                "event_id": {"S": check.event_id},
                "pair_pk": key["pk"],
                "pair_sk": key["sk"],
                TTL_ATTRIBUTE: expires_at(check.due, DAY_SECONDS),
            },
        }
    }


def due_delete(table: str, check: MfaCheck) -> Write:
    return {"Delete": {"TableName": table, "Key": root_mfa_due_key(check.due, check.event_id)}}


class RootMfaStore:
    """The sweep's reads and writes: what is due, the claim, its outcome."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def due(self, now: float) -> list[Mapping[str, Any]]:
        """Lines of the sweep's list that are due by `now`: one Query."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk <= :until",
            ExpressionAttributeValues={
                ":pk": {"S": ROOT_MFA_DUE},
                # `$` sorts after `#`: every line of this second is included.
                ":until": {"S": f"{max(0, int(now)):010d}$"},
            },
            ConsistentRead=True,
            Limit=DUE_PAGE,
        )
        items: list[Mapping[str, Any]] = response.get("Items", [])
        return items

    def claim(self, line: Mapping[str, Any], *, now: float) -> MfaCheck | None:
        """Take the right to post this CheckMfa's alert: the check (with its lease),
        or None when it was folded, posted, replaced, or another sweep holds it."""
        lease = now + LEASE_SECONDS
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=_pair_key(line),
                UpdateExpression=(
                    "SET check_state = :alerting, check_lease = :lease, version = version + :one"
                ),
                ConditionExpression=(
                    "check_id = :id AND (check_state = :waiting OR "
                    "(check_state = :alerting AND check_lease < :now))"
                ),
                ExpressionAttributeValues={
                    ":alerting": {"S": CheckState.ALERTING.value},
                    ":waiting": {"S": CheckState.WAITING.value},
                    ":lease": number(round(lease, 3)),
                    ":now": number(round(now, 3)),
                    ":id": line["event_id"],
                    ":one": number(1),
                },
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        return check_of(response.get("Attributes", {}))

    def is_live(self, line: Mapping[str, Any], *, now: float) -> bool:
        """Whether the line still names a CheckMfa that may alert: waiting, or under
        another sweep's live claim (that sweep removes the line)."""
        item = self._db.get_item(
            TableName=self._table, Key=_pair_key(line), ConsistentRead=True
        ).get("Item")
        check = check_of(item or {})
        if check is None or check.event_id != line["event_id"]["S"]:
            return False
        return check.state is CheckState.WAITING or (
            check.state is CheckState.ALERTING and check.lease >= now
        )

    def alerted(self, line: Mapping[str, Any], check: MfaCheck) -> None:
        """Posted: the check is done and its line leaves the list."""
        self._end_claim(check, line, CheckState.ALERTED)
        self.forget(line)

    def release(self, check: MfaCheck, line: Mapping[str, Any]) -> None:
        """Posting failed: the next sweep tries again."""
        self._end_claim(check, line, CheckState.WAITING)

    def _end_claim(self, check: MfaCheck, line: Mapping[str, Any], state: CheckState) -> None:
        """Leave the sweep's claim for `state`, if this sweep still holds it."""
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=_pair_key(line),
                UpdateExpression=(
                    "SET check_state = :state, version = version + :one REMOVE check_lease"
                ),
                ConditionExpression="check_id = :id AND check_lease = :lease",
                ExpressionAttributeValues={
                    ":state": {"S": state.value},
                    ":id": {"S": check.event_id},
                    ":lease": number(round(check.lease, 3)),
                    ":one": number(1),
                },
            )

    def forget(self, line: Mapping[str, Any]) -> None:
        self._db.delete_item(TableName=self._table, Key={"pk": line["pk"], "sk": line["sk"]})


def _pair_key(line: Mapping[str, Any]) -> dict[str, Any]:
    return {"pk": line["pair_pk"], "sk": line["pair_sk"]}
