"""GIVEN a sign-in and what the gather read WHEN `decide` runs (pure, no I/O) THEN the
plan says what a user expects: the verdict, the storm action, what is new, the message,
and writes that record, count and claim in one commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.alerting.decide import Decider
from chalicelib.alerting.gather import Snapshot, key_of
from chalicelib.judge.places import Novelty
from chalicelib.judge.rules import Skip
from chalicelib.settings import Settings
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.store.day_tally import day_counts
from chalicelib.store.schema import place_key
from chalicelib.store.signin_record import Claim
from chalicelib.storms.decision import StormAction
from localdev.events import console_login

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
TABLE = "ledger"
CLAIM = Claim("me", 2_000_000_000.0)


def signin(event: dict[str, Any]) -> SignIn:
    return parse_signin(event, received_at=T0)


def decide(event: dict[str, Any], items: Sequence[dict[str, Any]] = (), **settings: Any) -> Any:
    decider = Decider(Settings(**settings), TABLE)
    snapshot = Snapshot({key_of(item): item for item in items})
    return decider.decide(
        signin(event), snapshot, now=T0.timestamp(), claim=CLAIM, can_update=False
    )


def kinds(plan: Any) -> list[str]:
    return [
        f"{kind}:{part['Key' if 'Key' in part else 'Item']['pk']['S'].split('#')[0]}"
        for write in plan.writes
        for kind, part in write.items()
    ]


def test_an_alert_is_recorded_counted_and_claimed_in_one_commit() -> None:
    plan = decide(console_login("r-1", T0, success=True))

    first = plan.writes[0]["Put"]
    assert first["ConditionExpression"] == "attribute_not_exists(pk)"
    assert first["Item"]["alert_status"]["S"] == "delivering"
    assert first["Item"]["claim_id"]["S"] == "me"
    assert plan.message["text"].startswith("CRITICAL: Root console sign-in succeeded")
    assert "Update:DAY" in kinds(plan)


def test_a_principals_first_signin_is_a_silent_baseline_that_writes_its_places() -> None:
    plan = decide(console_login("a-1", T0, user="alice", ip="8.8.8.8", success=True, mfa=True))

    assert plan.places.flags == frozenset()
    markers = [
        w["Put"]["Item"]["sk"]["S"]
        for w in plan.writes
        if "Put" in w and w["Put"]["Item"]["pk"]["S"].startswith("SEEN#")
    ]
    assert markers == ["PRINCIPAL", "IP#8.8.8.8", "COUNTRY#US", "LAST_COUNTRY"]


def test_a_known_principal_from_a_new_ip_is_flagged_as_a_value() -> None:
    alice = signin(console_login("a-2", T0, user="alice", ip="8.8.4.4", success=True, mfa=True))
    known = [
        {**place_key(alice.principal_key, sort_key), "first_epoch": {"N": "1"}}
        for sort_key in ("PRINCIPAL", "IP#8.8.8.8", "COUNTRY#US")
    ]

    plan = decide(
        console_login("a-2", T0, user="alice", ip="8.8.4.4", success=True, mfa=True), known
    )

    assert plan.places.flags == {Novelty.NEW_IP}
    assert plan.verdict.title == "Console sign-in succeeded (new IP)"
    assert day_counts(alice, plan.places)["new_ip"] == 1


def test_a_failure_under_the_cap_alerts_and_its_count_is_conditional() -> None:
    plan = decide(console_login("f-1", T0))

    assert plan.action is StormAction.ALERT and plan.claim == CLAIM
    slices = [
        w["Update"]
        for w in plan.writes
        if "Update" in w and w["Update"]["Key"]["pk"]["S"].startswith("COUNT#")
    ]
    assert slices and all(
        part["ConditionExpression"] == "attribute_not_exists(pk)" for part in slices
    )


def test_the_failure_that_reaches_the_threshold_opens_the_burst_in_its_commit() -> None:
    plan = decide(console_login("f-1", T0), burst_root_failures=1)

    assert plan.action is StormAction.OPEN_BURST and plan.opened is not None
    assert plan.message["text"].startswith("HIGH: possible brute force on root user: 1 failed")
    opened = [
        w["Put"]
        for w in plan.writes
        if "Put" in w and w["Put"]["Item"]["pk"]["S"].startswith("BURST#")
    ]
    assert opened[0]["ConditionExpression"] == "attribute_not_exists(pk) OR until_epoch <= :epoch"
    assert "Put:OPEN_BURSTS" in kinds(plan)


def test_a_held_back_failure_is_not_claimed_and_says_why_as_a_value() -> None:
    plan = decide(console_login("f-1", T0), failure_alerts_before_burst=0)

    assert plan.action is StormAction.HOLD_BACK
    assert plan.verdict.skip is Skip.HELD_BACK and not plan.verdict.alert
    assert plan.claim is None and plan.message is None
    assert plan.writes[0]["Put"]["Item"]["alert_status"]["S"] == "not_alerted"


def test_a_message_that_cannot_be_built_still_alerts_in_plain_text() -> None:
    event = console_login("r-1", T0, success=True)
    event["detail"]["eventTime"] = "0001-01-01T05:00:00Z"

    plan = decide(event, display_timezone="America/Los_Angeles")

    assert plan.message["text"].startswith("CRITICAL: Root console sign-in succeeded")


def test_steps_inside_a_signin_are_counted_as_other_events() -> None:
    event = console_login("c-1", T0 + timedelta(minutes=1), user="alice", success=True)
    event["detail"]["eventName"] = "CheckMfa"

    plan = decide(event)

    assert plan.claim is None
    assert day_counts(signin(event), plan.places) == {"other_events": 1}


def test_a_root_step_alerts_but_is_still_counted_as_another_event() -> None:
    event = console_login("c-2", T0 + timedelta(minutes=1), success=True)
    event["detail"]["eventName"] = "CheckMfa"

    plan = decide(event)

    assert plan.claim is not None  # root is never quiet
    assert day_counts(signin(event), plan.places) == {"other_events": 1}
