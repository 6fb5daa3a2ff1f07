"""When did this stage's region last record a sign-in? A hint, never an alarm: a quiet
region may simply be quiet, but 30 silent days deserve a look."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.store.indexes import LISTED, SIGNIN_INDEX, SIGNIN_PARTITION_ATTRIBUTE
from chalicelib.watchdog.findings import Check, Finding, Status

QUIET_DAYS = 30
# The index is read newest first; another region's sign-ins (a shared table) are
# filtered out, a few pages per day of the window at most.
MAX_PAGES = QUIET_DAYS * 5


def last_signin(dynamodb: Any, table: str, region: str, now: datetime) -> datetime | None:
    """The newest sign-in recorded for `region` within QUIET_DAYS (Query only)."""
    since = max(0, int((now - timedelta(days=QUIET_DAYS)).timestamp()))
    arguments: dict[str, Any] = {
        "TableName": table,
        "IndexName": SIGNIN_INDEX,
        "KeyConditionExpression": "#listed = :listed AND #at >= :since",
        "FilterExpression": "#region = :region",
        # `at` (`<epoch>#<eventID>`): when it was received, for a record without a time.
        "ProjectionExpression": "#at",
        "ExpressionAttributeNames": {
            "#listed": SIGNIN_PARTITION_ATTRIBUTE,
            "#at": "at",
            "#region": "region",
        },
        "ExpressionAttributeValues": {
            ":listed": {"S": LISTED},
            ":since": {"S": f"{since:010d}"},
            ":region": {"S": region},
        },
        "ScanIndexForward": False,
    }
    for _ in range(MAX_PAGES):
        response = dynamodb.query(**arguments)
        epochs = [float(item["at"]["S"].split("#", 1)[0]) for item in response.get("Items", [])]
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
