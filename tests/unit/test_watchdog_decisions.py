"""GIVEN what the watchdog said last and what a check finds WHEN it decides THEN it
speaks only on a change, reminds on the interval, and reads its stage from its ARN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.watchdog.findings import Check, Finding, StageIdentity, Status
from chalicelib.watchdog.pipeline import records_management_events
from chalicelib.watchdog.run import untold
from chalicelib.watchdog.state import WatchdogChange, WatchdogRecord, decide, next_state

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
PROBLEM = Finding(Check.TRAIL, "us-west-2", Status.PROBLEM, "trail t is not logging", "fix")
HINT = Finding(Check.LAST_SIGNIN, "us-west-2", Status.HINT, "quiet", "look")
OK = Finding.ok(Check.TRAIL, "us-west-2")


def stored(status: Status, *, posted_hours_ago: float | None) -> WatchdogRecord:
    posted = 0.0 if posted_hours_ago is None else NOW.timestamp() - posted_hours_ago * 3600
    return WatchdogRecord("trail", status, NOW.timestamp() - 3600 * 30, posted, 3, "trail t")


@pytest.mark.parametrize(
    ("before", "finding", "action"),
    [
        (None, OK, WatchdogChange.NONE),
        (None, PROBLEM, WatchdogChange.NEW),
        (None, HINT, WatchdogChange.NEW),
        (stored(Status.OK, posted_hours_ago=1), PROBLEM, WatchdogChange.NEW),
        (stored(Status.PROBLEM, posted_hours_ago=23.99), PROBLEM, WatchdogChange.NONE),
        (stored(Status.PROBLEM, posted_hours_ago=24), PROBLEM, WatchdogChange.REMIND),
        (
            stored(Status.PROBLEM, posted_hours_ago=None),
            PROBLEM,
            WatchdogChange.REMIND,
        ),  # never told
        (stored(Status.PROBLEM, posted_hours_ago=1), OK, WatchdogChange.RESOLVED),
        (stored(Status.HINT, posted_hours_ago=400), HINT, WatchdogChange.NONE),  # a hint, once
        (stored(Status.HINT, posted_hours_ago=1), OK, WatchdogChange.NONE),  # and no "resolved"
        (stored(Status.HINT, posted_hours_ago=1), PROBLEM, WatchdogChange.NEW),
    ],
)
def test_it_speaks_only_on_a_change(
    before: WatchdogRecord | None, finding: Finding, action: WatchdogChange
) -> None:
    assert decide(before, finding, NOW, DAY) is action


def test_a_message_that_failed_is_owed_not_forgotten() -> None:
    before = stored(Status.PROBLEM, posted_hours_ago=30)
    claimed = next_state(before, PROBLEM, WatchdogChange.REMIND, NOW)
    assert claimed.version == before.version + 1 and claimed.posted_at == NOW.timestamp()

    owed = untold(before, claimed, WatchdogChange.REMIND)
    assert owed.posted_at == before.posted_at and owed.version == claimed.version + 1
    assert decide(owed, PROBLEM, NOW, DAY) is WatchdogChange.REMIND

    new = next_state(None, PROBLEM, WatchdogChange.NEW, NOW)
    assert decide(untold(None, new, WatchdogChange.NEW), PROBLEM, NOW, DAY) is WatchdogChange.REMIND
    resolved = next_state(before, OK, WatchdogChange.RESOLVED, NOW)
    assert (
        decide(untold(before, resolved, WatchdogChange.RESOLVED), OK, NOW, DAY)
        is WatchdogChange.RESOLVED
    )


@pytest.mark.parametrize(
    ("selectors", "records"),
    [
        ({}, True),  # no selectors: AWS's default records every management event
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}, False),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                ]
            },
            True,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ]
                    }
                ]
            },
            False,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            False,
        ),
    ],
)
def test_which_trails_record_sign_ins(selectors: dict[str, object], records: bool) -> None:
    assert records_management_events(selectors) is records


# What a webhook URL is (one rule for the settings and the watchdog):
# tests/unit/test_secret_shapes.py.


def test_the_stage_comes_from_the_functions_own_arn() -> None:
    arn = "arn:aws:lambda:us-west-2:123456789012:function:signin-alerts-prod-us-west-2-watchdog"

    stage = StageIdentity.from_lambda(arn, {})

    assert (stage.name, stage.env, stage.region) == ("prod-us-west-2", "prod", "us-west-2")
    assert stage.signin_function_arn.endswith(
        ":function:signin-alerts-prod-us-west-2-console_signin"
    )
    assert stage.signin_rule == "signin-alerts-prod-us-west-2-console_signin-event"
    assert stage.undelivered_queue == "signin-alerts-prod-us-west-2-undelivered"


def test_the_sam_template_names_the_resources_cloudformation_chose() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:stack-Watchdog-AbC123"
    env = {
        "WATCHDOG_STAGE": "signin-alerts-prod-us-east-1",  # the stack name
        "SIGNIN_FUNCTION_NAME": "stack-ConsoleSignin-XyZ",
        "SIGNIN_RULE_NAME": "stack-ConsoleSigninConsoleSigninEvent-Q",
        "UNDELIVERED_QUEUE_NAME": "signin-alerts-prod-us-east-1-undelivered",
    }

    stage = StageIdentity.from_lambda(arn, env)

    assert (stage.name, stage.env) == ("prod-us-east-1", "prod")
    assert stage.signin_function == "stack-ConsoleSignin-XyZ"
    assert stage.signin_rule == "stack-ConsoleSigninConsoleSigninEvent-Q"
