"""GIVEN root's CheckMfa and ConsoleLogin records and what the pairing item holds WHEN
the pure pairing (judge/root_mfa.py) and `decide` run THEN one record tells the
sign-in: the ConsoleLogin with the CheckMfa's MFA, or the CheckMfa by itself later."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.alerting.decide import Decider
from chalicelib.alerting.gather import Snapshot, key_of
from chalicelib.judge.root_mfa import (
    CheckState,
    MfaCheck,
    Pairing,
    PairState,
    follows,
    pair,
    takes_part,
    with_check,
)
from chalicelib.judge.rules import Skip
from chalicelib.settings import Settings
from chalicelib.severity import Severity
from chalicelib.signin.parse import Mfa, SignIn, parse_signin
from chalicelib.store.root_mfa import state_of
from chalicelib.store.schema import root_mfa_key
from chalicelib.store.signin_record import Claim
from tests.conftest import load_event

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp()
WAIT = 300
CHECK_EPOCH = int(datetime(2022, 11, 10, 16, 24, 30, tzinfo=UTC).timestamp())


def record(name: str, **detail: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event(name))
    event["detail"].update(detail)
    return event


def signin(name: str, **detail: Any) -> SignIn:
    return parse_signin(record(name, **detail), received_at=datetime.fromtimestamp(NOW, UTC))


def check_mfa(**detail: Any) -> SignIn:
    return signin("root_check_mfa.json", **detail)


def login(**detail: Any) -> SignIn:
    return signin("root_success_after_check_mfa.json", **detail)


def at(seconds: int) -> str:
    moment = datetime.fromtimestamp(CHECK_EPOCH + seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def waiting(epoch: int = CHECK_EPOCH, event_id: str = "c-0") -> MfaCheck:
    return MfaCheck(event_id, epoch, "U2F MFA", due=int(NOW) + WAIT, message="{}")


# -- the pure pairing ------------------------------------------------------------------


def test_a_signin_follows_its_checkmfa_at_or_after_it_within_the_wait() -> None:
    assert follows(100, 100, WAIT)
    assert follows(100, 100 + WAIT, WAIT)
    assert not follows(100, 100 + WAIT + 1, WAIT)
    assert not follows(100, 99, WAIT)  # an earlier sign-in is another sign-in's


def test_only_root_checkmfa_success_and_root_signin_success_take_part() -> None:
    assert takes_part(check_mfa()) and takes_part(login())
    assert not takes_part(signin("check_mfa.json"))  # an IAM user's: recorded only
    assert not takes_part(check_mfa(responseElements=None))  # no result: never quiet
    assert not takes_part(login(responseElements={"ConsoleLogin": "Failure"}))
    assert not takes_part(check_mfa(eventName="PasswordRecoveryRequested"))


def test_a_checkmfa_with_nothing_stored_waits_for_its_signin() -> None:
    decision = pair(check_mfa(), PairState(), wait_seconds=WAIT, now=NOW, message="{}")

    assert decision.pairing is Pairing.WAIT
    assert decision.state is not None and decision.state.version == 1
    check = decision.state.check
    assert check is not None
    assert (check.state, check.mfa_type, check.due) == (CheckState.WAITING, "U2F MFA", NOW + WAIT)


def test_a_signin_folds_the_checkmfa_that_waits_for_it() -> None:
    state = PairState(3, (), waiting())

    decision = pair(login(eventTime=at(4)), state, wait_seconds=WAIT, now=NOW)

    assert decision.pairing is Pairing.FOLD
    assert decision.check == waiting() and decision.dropped == waiting()
    assert decision.state is not None and decision.state.version == 4
    assert decision.state.check == replace(waiting(), state=CheckState.FOLDED)
    assert decision.state.logins == (CHECK_EPOCH + 4,)


def test_a_signin_after_the_wait_or_before_the_checkmfa_folds_nothing() -> None:
    for seconds in (WAIT + 1, -1):
        decision = pair(
            login(eventTime=at(seconds)), PairState(1, (), waiting()), wait_seconds=WAIT, now=NOW
        )
        assert decision.pairing is Pairing.LOGIN
        assert decision.state is not None and decision.state.check == waiting()


def test_a_checkmfa_arriving_after_its_signin_is_told_by_it() -> None:
    state = PairState(1, (CHECK_EPOCH - 600, CHECK_EPOCH + 4))

    assert pair(check_mfa(), state, wait_seconds=WAIT, now=NOW).pairing is Pairing.FOLLOWED
    older = PairState(1, (CHECK_EPOCH - 1,))
    assert pair(check_mfa(), older, wait_seconds=WAIT, now=NOW).pairing is Pairing.WAIT


def test_a_checkmfa_claimed_by_the_sweep_is_never_folded() -> None:
    for done in (CheckState.ALERTING, CheckState.ALERTED, CheckState.FOLDED):
        state = PairState(2, (), replace(waiting(), state=done))
        decision = pair(login(eventTime=at(4)), state, wait_seconds=WAIT, now=NOW)
        assert decision.pairing is Pairing.LOGIN and decision.dropped is None


def test_of_two_waiting_checkmfa_records_the_later_waits() -> None:
    earlier = waiting(CHECK_EPOCH - 60, "c-earlier")
    later = waiting(CHECK_EPOCH + 60, "c-later")

    replaced = pair(check_mfa(), PairState(1, (), earlier), wait_seconds=WAIT, now=NOW)
    kept = pair(check_mfa(), PairState(1, (), later), wait_seconds=WAIT, now=NOW)

    assert replaced.pairing is Pairing.WAIT and replaced.dropped == earlier
    assert kept.pairing is Pairing.SUPERSEDED and kept.state is None


def test_the_signin_carries_the_checkmfa_type_and_device() -> None:
    check = replace(waiting(), device="arn:aws:iam::111122223333:mfa/root-account-mfa-device")
    bare = login(additionalEventData={"MFAUsed": "Yes"})

    told = with_check(bare, check)
    unrecorded = with_check(login(additionalEventData={}), check)
    said_no = with_check(login(additionalEventData={"MFAUsed": "No"}), check)

    assert (told.mfa, told.mfa_type) == (
        Mfa.YES,
        "U2F MFA, arn:aws:iam::111122223333:mfa/root-account-mfa-device",
    )
    assert (unrecorded.mfa, unrecorded.mfa_source) == (Mfa.YES, "CheckMfa")
    assert said_no.mfa is Mfa.NO  # the sign-in's own record has the last word


def test_the_pairing_item_reads_back_what_was_decided() -> None:
    from chalicelib.store.root_mfa import pair_put

    state = PairState(2, (CHECK_EPOCH,), replace(waiting(), channel="C0SEC", lease=12.5))
    key = root_mfa_key("arn:aws:iam::111122223333:root", "192.0.2.0")

    put = pair_put("t", key, state, seen=1, now=NOW)["Put"]

    assert state_of(put["Item"]) == state
    assert put["ConditionExpression"] == "version = :seen"
    assert state_of(None) == PairState()


# -- decide: the plan of each record ---------------------------------------------------


def decide(item: SignIn, stored: PairState | None = None, **settings: Any) -> Any:
    from chalicelib.store.root_mfa import pair_put

    decider = Decider(Settings(**settings), "t")
    items = []
    if stored is not None:
        key = root_mfa_key(item.principal_key, item.source_ip)
        items.append(pair_put("t", key, stored, seen=0, now=NOW)["Put"]["Item"])
    snapshot = Snapshot({key_of(found): found for found in items})
    paired = root_mfa_key(item.principal_key, item.source_ip) in decider.keys(item)
    assert paired is takes_part(item)  # read in the gather only when it takes part
    return decider.decide(item, snapshot, now=NOW, claim=Claim("me", NOW + 60), can_update=False)


def ops(plan: Any) -> list[str]:
    return [
        f"{kind}:{part['Item' if 'Item' in part else 'Key']['pk']['S'].split('#')[0]}"
        for write in plan.writes
        for kind, part in write.items()
    ]


def test_a_waiting_checkmfa_posts_nothing_and_queues_its_own_alert() -> None:
    plan = decide(check_mfa())

    assert plan.message is None and plan.claim is None
    assert plan.verdict.skip is Skip.AWAITING_SIGNIN
    assert {"Put:ROOTMFA", "Put:ROOT_MFA_DUE"} <= set(ops(plan))
    pair_item = next(
        w["Put"]["Item"]
        for w in plan.writes
        if "Put" in w and w["Put"]["Item"]["pk"]["S"].startswith("ROOTMFA#")
    )
    own = json.loads(pair_item["check_message"]["S"])
    assert own["text"] == (
        "HIGH: Root password accepted, but no sign-in followed: root user, result success, "
        "MFA no, IP 192.0.2.0, account 111122223333"
    )


def test_below_alert_min_severity_the_checkmfa_waits_without_an_alert_to_post() -> None:
    plan = decide(check_mfa(), alert_min_severity=Severity.CRITICAL)

    assert "Put:ROOT_MFA_DUE" not in ops(plan)


def test_the_signin_folds_its_checkmfa_and_takes_it_off_the_sweeps_list() -> None:
    plan = decide(login(eventTime=at(4)), PairState(1, (), waiting()))

    assert plan.message["text"].startswith(
        "CRITICAL: Root console sign-in succeeded: root user, result success, "
        "MFA yes (U2F MFA, arn:aws:iam::111122223333:mfa/root-account-mfa-device)"
    )
    assert "MFA checked (U2F MFA) by CheckMfa c-0" in plan.verdict.reasons
    assert {"Put:ROOTMFA", "Delete:ROOT_MFA_DUE"} <= set(ops(plan))


def test_a_checkmfa_after_its_signin_is_recorded_and_writes_no_pairing() -> None:
    plan = decide(check_mfa(), PairState(1, (CHECK_EPOCH + 4,)))

    assert plan.message is None and plan.verdict.skip is Skip.TOLD_BY_SIGNIN
    assert not [op for op in ops(plan) if "ROOT" in op.split(":")[1]]


def test_other_root_records_stay_never_quiet() -> None:
    for other in (
        check_mfa(responseElements=None),
        check_mfa(eventName="PasswordRecoveryRequested"),
        check_mfa(eventName=None),
    ):
        plan = decide(other)
        assert plan.claim is not None and plan.verdict.severity >= Severity.HIGH


def test_records_of_other_principals_never_touch_the_pairing() -> None:
    decider = Decider(Settings(), "t")
    iam = signin("check_mfa.json")
    assert not [k for k in decider.keys(iam) if k["pk"]["S"].startswith("ROOTMFA#")]
    assert timedelta(minutes=Settings().root_mfa_wait_minutes) == timedelta(minutes=5)
