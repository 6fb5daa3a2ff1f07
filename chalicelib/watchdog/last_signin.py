"""When did this stage's region last record a sign-in? A hint, never an alarm: a quiet
region may simply be quiet, but 30 silent days deserve a look."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.store.schema import DAY_INDEX, day_of
from chalicelib.watchdog.findings import Check, Finding, Status

QUIET_DAYS = 30
PAGES_PER_DAY = 5  # a busy day's index partition is read newest first, a few pages at most


def last_signin(dynamodb: Any, table: str, region: str, now: datetime) -> datetime | None:
    """The newest sign-in recorded for `region` within QUIET_DAYS (Query only)."""
    for back in range(QUIET_DAYS + 1):
        day = day_of(now - timedelta(days=back))
        arguments: dict[str, Any] = {
            "TableName": table,
            "IndexName": DAY_INDEX,
            "KeyConditionExpression": "#day = :day",
            "FilterExpression": "#region = :region",
            "ProjectionExpression": "epoch",
            "ExpressionAttributeNames": {"#day": "day", "#region": "region"},
            "ExpressionAttributeValues": {":day": {"S": day}, ":region": {"S": region}},
            "ScanIndexForward": False,
        }
        for _ in range(PAGES_PER_DAY):
            response = dynamodb.query(**arguments)
            epochs = [float(item["epoch"]["N"]) for item in response.get("Items", [])]
            if epochs:
                return datetime.fromtimestamp(max(epochs), tz=now.tzinfo)
            if "LastEvaluatedKey" not in response:
                break
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return None


def last_signin_finding(dynamodb: Any, table: str, region: str, now: datetime) -> Finding:
    if last_signin(dynamodb, table, region, now) is not None:
        return Finding.ok(Check.LAST_SIGNIN, region)
    return Finding(
        Check.LAST_SIGNIN,
        region,
        Status.HINT,
        f"no sign-in recorded in {region} for {QUIET_DAYS} days",
        "if people do sign in there, run `python manage.py audit-regions` and sign in once to test",
    )
