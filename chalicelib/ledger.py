"""The sign-in ledger: one DynamoDB item per CloudTrail eventID.

It is both the history (`/recent-logins` reads it) and the idempotency record that
makes alerting exactly-once in effect: Lambda may deliver an event twice, and a retry
after a failed Slack post must post, while a duplicate of a posted one must not.

Alert states: `delivering` (claimed by one invocation until `lease_until`) -> `sent`,
or back to `pending` when delivery failed (a retry claims it again); `not_alerted`
from the start for sign-ins the rules do not post.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.rules import Verdict
from chalicelib.signin import SignIn

Clock = Callable[[], datetime]


class AlertStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SENT = "sent"
    NOT_ALERTED = "not_alerted"


@dataclass(frozen=True)
class Recorded:
    """What the ledger knew about this event when we tried to record it."""

    first_time: bool
    status: AlertStatus
    attempts: int = 0


def event_key(event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"EVENT#{event_id}"}, "sk": {"S": "EVENT"}}


def table_definition(name: str) -> dict[str, Any]:
    """Arguments for `create_table`: what `manage.py provision` and the tests create."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    }


TTL_ATTRIBUTE = "expires_at"


def signin_attributes(signin: SignIn) -> dict[str, Any]:
    """The sign-in as plain DynamoDB attribute values (strings and numbers only)."""
    values = {
        "event_id": signin.event_id,
        "event_time": signin.event_time.isoformat(),
        "event_name": signin.event_name,
        "account_id": signin.account_id,
        "region": signin.region,
        "principal_type": signin.principal_type.value,
        "display_name": signin.display_name,
        "arn": signin.arn,
        "principal_id": signin.principal_id,
        "role_name": signin.role_name,
        "source_ip": signin.source_ip,
        "user_agent": signin.user_agent[:1024],
        "outcome": signin.outcome.value,
        "failure_reason": signin.failure_reason,
        "mfa": signin.mfa.value,
        "mfa_type": signin.mfa_type,
        "federation": signin.federation.value,
        "saml_provider": signin.saml_provider,
        "login_url": signin.login_url[:512],
    }
    item: dict[str, Any] = {name: {"S": value} for name, value in values.items() if value}
    item["epoch"] = {"N": str(int(signin.event_time.timestamp()))}
    if signin.problems:
        item["problems"] = {"SS": sorted(set(signin.problems))}
    return item


class Ledger:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        clock: Clock,
        retention_days: int = 90,
        lease_seconds: int = 120,
    ) -> None:
        self._db = dynamodb
        self.table_name = table_name
        self._clock = clock
        self._retention = timedelta(days=retention_days)
        self._lease = timedelta(seconds=lease_seconds)

    def record(self, signin: SignIn, verdict: Verdict, *, alert: bool) -> Recorded:
        """Write the sign-in once. A second call for the same eventID changes nothing
        and tells the caller what happened to the first one. A first write with
        `alert=True` holds the claim to post it (status `delivering`)."""
        # An alert is claimed in the same write that records it: one call, not two.
        status = AlertStatus.DELIVERING if alert else AlertStatus.NOT_ALERTED
        now = self._clock()
        item = {
            **event_key(signin.event_id),
            **signin_attributes(signin),
            "severity": {"S": verdict.severity.name},
            "title": {"S": verdict.title},
            "alert_status": {"S": status.value},
            "attempts": {"N": "0"},
            "recorded_at": {"S": now.isoformat()},
            TTL_ATTRIBUTE: {"N": str(int((signin.event_time + self._retention).timestamp()))},
        }
        if alert:
            item["lease_until"] = {"S": (now + self._lease).isoformat()}
        if verdict.reasons:
            item["reasons"] = {"L": [{"S": reason} for reason in verdict.reasons]}
        if verdict.skip_reason:
            item["skip_reason"] = {"S": verdict.skip_reason}
        try:
            self._db.put_item(
                TableName=self.table_name,
                Item=item,
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._db.exceptions.ConditionalCheckFailedException as error:
            old = getattr(error, "response", {}).get("Item") or self._get(signin.event_id)
            return Recorded(False, AlertStatus(old["alert_status"]["S"]), _int(old, "attempts"))
        return Recorded(True, status)

    def claim(self, event_id: str) -> bool:
        """Take the right to post this alert, unless it was posted or another invocation
        holds an unexpired lease. A crashed invocation's lease expires."""
        now = self._clock()
        try:
            self._db.update_item(
                TableName=self.table_name,
                Key=event_key(event_id),
                UpdateExpression="SET alert_status = :delivering, lease_until = :until",
                ConditionExpression=(
                    "alert_status = :pending OR (alert_status = :delivering AND lease_until < :now)"
                ),
                ExpressionAttributeValues={
                    ":delivering": {"S": AlertStatus.DELIVERING.value},
                    ":pending": {"S": AlertStatus.PENDING.value},
                    ":until": {"S": (now + self._lease).isoformat()},
                    ":now": {"S": now.isoformat()},
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_sent(self, event_id: str, *, attempts: int, reference: str = "") -> None:
        values: dict[str, Any] = {
            ":sent": {"S": AlertStatus.SENT.value},
            ":attempts": {"N": str(attempts)},
            ":at": {"S": self._clock().isoformat()},
            ":ref": {"S": reference or "-"},
        }
        self._db.update_item(
            TableName=self.table_name,
            Key=event_key(event_id),
            UpdateExpression=(
                "SET alert_status = :sent, attempts = attempts + :attempts, sent_at = :at, "
                "slack_ref = :ref REMOVE lease_until"
            ),
            ExpressionAttributeValues=values,
        )

    def release(self, event_id: str, *, attempts: int, error: str) -> None:
        """Give the claim back after a failed delivery, so Lambda's retry can post."""
        self._db.update_item(
            TableName=self.table_name,
            Key=event_key(event_id),
            UpdateExpression=(
                "SET alert_status = :pending, attempts = attempts + :attempts, "
                "last_error = :error REMOVE lease_until"
            ),
            ExpressionAttributeValues={
                ":pending": {"S": AlertStatus.PENDING.value},
                ":attempts": {"N": str(attempts)},
                ":error": {"S": error[:500]},
            },
        )

    def revise(self, event_id: str, verdict: Verdict, *, claimed: bool = False) -> bool:
        """Replace a recorded verdict when storm control decides after recording: a
        failure that opens a burst alert, or one that a burst alert already tells
        (not_alerted, with the reason). Never touches a posted alert, nor one that
        another invocation is delivering (`claimed`: this invocation holds the claim
        it took when recording). False when it did not apply."""
        if verdict.alert:
            status = AlertStatus.DELIVERING if claimed else AlertStatus.PENDING
        else:
            status = AlertStatus.NOT_ALERTED
        revisable = [AlertStatus.PENDING, AlertStatus.NOT_ALERTED]
        if claimed:
            revisable.append(AlertStatus.DELIVERING)
        values: dict[str, Any] = {
            ":status": {"S": status.value},
            ":severity": {"S": verdict.severity.name},
            ":title": {"S": verdict.title},
            ":reasons": {"L": [{"S": reason} for reason in verdict.reasons]},
            **{f":r{i}": {"S": state.value} for i, state in enumerate(revisable)},
        }
        expression = "SET alert_status = :status, severity = :severity, title = :title, "
        expression += "reasons = :reasons"
        if verdict.skip_reason:
            values[":skip"] = {"S": verdict.skip_reason[:500]}
            expression += ", skip_reason = :skip"
        else:
            expression += " REMOVE skip_reason"
        try:
            self._db.update_item(
                TableName=self.table_name,
                Key=event_key(event_id),
                UpdateExpression=expression,
                ConditionExpression="alert_status IN ("
                + ", ".join(f":r{i}" for i in range(len(revisable)))
                + ")",
                ExpressionAttributeValues=values,
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, event_id: str) -> dict[str, Any] | None:
        response = self._db.get_item(
            TableName=self.table_name, Key=event_key(event_id), ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _get(self, event_id: str) -> dict[str, Any]:
        item = self.get(event_id)
        if item is None:  # deleted between the failed put and now: treat as pending
            return {"alert_status": {"S": AlertStatus.PENDING.value}}
        return item


def _int(item: Mapping[str, Any], name: str) -> int:
    try:
        return int(item[name]["N"])
    except (KeyError, TypeError, ValueError):
        return 0


def create_ledger_table(dynamodb: Any, name: str) -> bool:
    """Create the table and turn on TTL; True when it was created, False if it existed."""
    created = True
    try:
        dynamodb.create_table(**table_definition(name))
    except dynamodb.exceptions.ResourceInUseException:
        created = False
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    return created
