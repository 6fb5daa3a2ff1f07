"""GIVEN a sign-in's item (as this version writes it, or as the previous one did) THEN
`SigninRecord` reads both its state machines, says which transitions each state allows,
and every conditional write in `SigninWrites` moves it as drawn, once, in one call,
answering a refused condition with its own value (on moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.alerting.values import Disposition
from chalicelib.confirm.state import Answer
from chalicelib.judge.rules import evaluate
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.store.indexes import QUESTION_ATTRIBUTES
from chalicelib.store.ledger import event_item
from chalicelib.store.schema import event_key
from chalicelib.store.signin_reads import SigninReads
from chalicelib.store.signin_record import (
    AlertRef,
    AlertStatus,
    Claim,
    ConfirmState,
    QuestionState,
    SigninRecord,
)
from chalicelib.store.signin_writes import ClaimLost, SigninWrites, first_put
from localdev.events import console_login
from tests.conftest import TABLE

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
NOW = T0.timestamp()
MINE = Claim("mine", NOW + 60)
THEIRS = Claim("theirs", NOW + 120)
ALICE = "U0ALICE"
REF = AlertRef("C0ALERTS", "1700000000.000100", "alert", ({"type": "section"},))


def s(value: str) -> dict[str, str]:
    return {"S": value}


# -- items as the previous version wrote them (store/ledger.py and confirm/ledger.py) --
def previous_item(status: str, **extra: dict[str, Any]) -> dict[str, Any]:
    return {
        **event_key("e-1"),
        "event_id": s("e-1"),
        "event_time": s("2026-11-20T08:59:00+00:00"),
        "display_name": s("alice"),
        "severity": s("HIGH"),
        "title": s("Console sign-in without MFA"),
        "alert_status": s(status),
        "attempts": {"N": "0"},
        **extra,
    }


DELIVERING = previous_item(
    "delivering",
    lease_until={"N": str(NOW + 60)},
    claim_id=s("mine"),
    message=s(json.dumps({"text": "hi"})),
    channel=s("C0ALERTS"),
    ask_user=s(ALICE),
)
ASKED = previous_item(
    "sent",
    slack_ref=s("1700000000.000100"),
    confirm_state=s("asked"),
    confirm_user=s(ALICE),
    confirm_asked_at=s("2026-11-20T09:00:00+00:00"),
    confirm_dm_channel=s("D0ALICE"),
    confirm_dm_ts=s("1700000001.000200"),
    confirm_alert_channel=s("C0ALERTS"),
    confirm_alert_ts=s("1700000000.000100"),
    confirm_alert_text=s("alert"),
    confirm_alert_blocks=s('[{"type": "section"}]'),
    confirm_queue=s("PENDING"),
    confirm_due=s("1795166400#e-1"),
)


def test_an_item_of_the_previous_version_reads_both_its_states() -> None:
    alert = SigninRecord.of(DELIVERING)
    assert alert.event_id == "e-1" and alert.severity == "HIGH"
    assert alert.alert.status is AlertStatus.DELIVERING
    assert alert.alert.message == {"text": "hi"} and alert.alert.channel == "C0ALERTS"
    assert alert.question == QuestionState()  # nobody asked yet
    assert alert.ask_user == ALICE  # a take-over asks the person the alert names

    asked = SigninRecord.of(ASKED)
    assert asked.alert.status is AlertStatus.SENT and asked.alert.message is None
    question = asked.question
    assert question.state is ConfirmState.ASKED and question.recorded and question.queued
    assert question.user_id == ALICE and question.alert == REF
    assert question.asked_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert (question.dm_channel, question.dm_ts) == ("D0ALICE", "1700000001.000200")
    assert set(asked.signin) == set(QUESTION_ATTRIBUTES)
    assert asked.signin["display_name"] == "alice"
    assert asked.event_time == datetime(2026, 11, 20, 8, 59, tzinfo=UTC)


def test_what_is_missing_or_unreadable_reads_as_its_default() -> None:
    odd = SigninRecord.of(
        previous_item(
            "shipped",  # no such status: a claim decides
            message=s("{not json"),
            confirm_state=s("maybe"),
            confirm_alert_ts=s("1.2"),
            confirm_alert_blocks=s("[broken"),
            ask_user=s(ALICE),
        )
    )
    assert odd.alert.status is AlertStatus.PENDING and odd.alert.message is None
    assert odd.question.state is ConfirmState.NOT_ASKED and odd.question.recorded
    assert odd.question.alert is not None and odd.question.alert.blocks == ()
    assert odd.ask_user == ""  # a question was recorded: nobody is asked twice
    projected = SigninRecord.of({"event_id": s("e-2"), "confirm_state": s("denied")})
    assert projected.question.state is ConfirmState.DENIED
    assert projected.event_time == datetime.fromtimestamp(0, UTC)
    assert SigninRecord.of({"message": s("[1, 2]")}).alert.message is None


@pytest.mark.parametrize(
    ("status", "settled", "held", "open_now", "open_later"),
    [
        (AlertStatus.DELIVERING, False, True, False, True),
        (AlertStatus.PENDING, False, False, True, True),
        (AlertStatus.SENT, True, False, False, False),
        (AlertStatus.NOT_ALERTED, True, False, False, False),
    ],
)
def test_each_alert_status_says_what_may_happen_next(
    status: AlertStatus, settled: bool, held: bool, open_now: bool, open_later: bool
) -> None:
    alert = SigninRecord.of(
        {**DELIVERING, "alert_status": s(status.value)}
        if status is not AlertStatus.PENDING
        else {**previous_item("pending"), "lease_until": {"N": str(NOW + 60)}}
    ).alert
    assert alert.settled is settled
    assert alert.held_by(MINE) is held and not alert.held_by(THEIRS)
    assert alert.open_at(NOW) is open_now
    assert alert.open_at(NOW + 61) is open_later


@pytest.mark.parametrize(
    ("state", "answerable", "escalating", "after"),
    [
        (ConfirmState.ASKED, True, True, ConfirmState.UNANSWERED),
        (ConfirmState.UNANSWERED, True, True, ConfirmState.UNANSWERED),
        (ConfirmState.DENIED, False, True, ConfirmState.DENIED),
        (ConfirmState.CONFIRMED, False, False, ConfirmState.UNANSWERED),
        (ConfirmState.FAILED, False, False, ConfirmState.UNANSWERED),
    ],
)
def test_each_question_state_says_what_may_happen_next(
    state: ConfirmState, answerable: bool, escalating: bool, after: ConfirmState
) -> None:
    question = SigninRecord.of({**ASKED, "confirm_state": s(state.value)}).question
    assert question.answerable is answerable
    assert question.escalating is escalating
    assert question.after_claim is after
    # Out of the queue (answered, or its escalation posted): no escalation is owed.
    unqueued = {k: v for k, v in ASKED.items() if k not in ("confirm_queue", "confirm_due")}
    assert not SigninRecord.of({**unqueued, "confirm_state": s(state.value)}).question.escalating


def test_an_escalation_lease_is_free_once_it_ran_out() -> None:
    question = SigninRecord.of(
        {**ASKED, "confirm_lease": s((T0 + timedelta(seconds=60)).isoformat())}
    )
    assert not question.question.lease_free(T0)
    assert question.question.lease_free(T0 + timedelta(seconds=61))
    assert QuestionState().lease_free(T0)


def test_what_an_invocation_reports_follows_the_state_it_moves_the_alert_to() -> None:
    assert Disposition.moved_to(AlertStatus.SENT) is Disposition.POSTED
    assert Disposition.moved_to(AlertStatus.NOT_ALERTED) is Disposition.NOT_ALERTED
    assert Disposition.moved_to(AlertStatus.PENDING) is Disposition.FAILED
    with pytest.raises(ValueError):
        Disposition.moved_to(AlertStatus.DELIVERING)  # no invocation ends holding a claim
    # The handler's interface: these strings are what operators and redrive read.
    assert [d.value for d in Disposition] == ["posted", "not_alerted", "duplicate", "failed"]
    assert Answer.WAS_ME.state is ConfirmState.CONFIRMED
    assert Answer.NOT_ME.state is ConfirmState.DENIED


# -- the writes, on moto -----------------------------------------------------------------
class Counted:
    """The client, counting calls: every write is one."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            return method(**kwargs)

        return call


@pytest.fixture
def db(dynamodb: Any) -> Counted:
    return Counted(dynamodb)


def commit(db: Counted, claim: Claim | None) -> None:
    signin = parse_signin(console_login("e-1", T0, user="alice", success=True), received_at=T0)
    item = event_item(
        signin,
        evaluate(signin, Settings()),
        recorded_at=NOW,
        retention_days=90,
        claim=claim,
        message={"text": "hi"} if claim else None,
        ask_user=ALICE if claim else "",
    )
    db.transact_write_items(TransactItems=[first_put(TABLE, item)])
    db.calls.clear()


def read(db: Counted) -> SigninRecord:
    record = SigninReads(db, TABLE).read("e-1")
    assert record is not None
    return record


def test_the_alert_is_claimed_taken_over_given_back_and_marked_sent_once(db: Counted) -> None:
    commit(db, MINE)
    writes = SigninWrites(db, TABLE)
    assert read(db).alert.held_by(MINE)
    db.calls.clear()
    assert not writes.take_over("e-1", THEIRS, now=NOW)  # the lease is live
    assert writes.take_over("e-1", THEIRS, now=NOW + 61)  # its holder died
    with pytest.raises(ClaimLost):
        writes.give_back("e-1", MINE, attempts=1, error="timeout")
    writes.give_back("e-1", THEIRS, attempts=2, error="503")
    assert db.calls == ["update_item"] * 4
    pending = read(db)
    assert pending.alert.status is AlertStatus.PENDING and pending.alert.open_at(NOW)
    assert pending.ask_user == ALICE and pending.alert.message == {"text": "hi"}
    assert writes.take_over("e-1", MINE, now=NOW)  # given back: taken at once
    db.calls.clear()
    assert writes.mark_sent("e-1", attempts=1, reference="1.2", sent_at=NOW, deadline=1e12)
    assert db.calls == ["update_item"]
    sent = read(db)
    assert sent.alert.settled and sent.alert.message is None and not sent.alert.claim_id
    assert not writes.take_over("e-1", THEIRS, now=NOW + 999)


def test_a_quiet_sign_in_is_never_taken_over(db: Counted) -> None:
    commit(db, None)
    assert read(db).alert.status is AlertStatus.NOT_ALERTED
    assert not SigninWrites(db, TABLE).take_over("e-1", THEIRS, now=NOW + 999)


def ask(writes: SigninWrites, due: datetime = T0) -> bool:
    return writes.asked(
        "e-1", user_id=ALICE, at=T0, due=due, dm_channel="D0ALICE", dm_ts="1.3", alert=REF
    )


def test_a_question_is_asked_once_and_answered_once(db: Counted) -> None:
    commit(db, MINE)
    writes = SigninWrites(db, TABLE)
    assert ask(writes) and not ask(writes)
    assert not writes.not_asked("e-1", user_id=ALICE, reason="refused")
    assert db.calls == ["update_item"] * 3
    asked = read(db)
    assert asked.question.state is ConfirmState.ASKED and asked.question.escalating
    assert asked.question.alert == REF and asked.ask_user == ""
    with pytest.raises(ValueError):
        writes.answered("e-1", ConfirmState.ASKED, user_id=ALICE, at=T0)
    assert not writes.answered("e-1", ConfirmState.CONFIRMED, user_id="U0MALLORY", at=T0)
    assert writes.answered("e-1", ConfirmState.CONFIRMED, user_id=ALICE, at=T0)
    assert not writes.answered("e-1", ConfirmState.DENIED, user_id=ALICE, at=T0)
    confirmed = read(db).question
    assert confirmed.state is ConfirmState.CONFIRMED and not confirmed.queued
    assert confirmed.answered_by == ALICE and not confirmed.answerable


def test_a_question_that_could_not_be_sent_is_failed_for_good(db: Counted) -> None:
    commit(db, MINE)
    writes = SigninWrites(db, TABLE)
    assert writes.not_asked("e-1", user_id="", reason="")
    assert not ask(writes)
    question = read(db).question
    assert question.state is ConfirmState.FAILED and not question.escalating


def test_silence_is_escalated_once_under_a_lease(db: Counted) -> None:
    commit(db, MINE)
    writes, reads = SigninWrites(db, TABLE), SigninReads(db, TABLE)
    assert ask(writes, due=T0 + timedelta(minutes=15))
    later = T0 + timedelta(minutes=16)
    assert reads.due(T0) == [] and reads.due(later) == ["e-1"]
    seen = read(db).question
    assert writes.claim_escalation("e-1", seen=seen.state, after=seen.after_claim, now=T0) is None
    lease = writes.claim_escalation("e-1", seen=seen.state, after=seen.after_claim, now=later)
    assert lease == later + timedelta(seconds=60)
    claimed = read(db).question
    assert claimed.state is ConfirmState.UNANSWERED and not claimed.lease_free(later)
    # A second sweep: the state moved on, and the lease is held.
    assert (
        writes.claim_escalation(
            "e-1", seen=ConfirmState.ASKED, after=ConfirmState.UNANSWERED, now=later
        )
        is None
    )
    assert (
        writes.claim_escalation("e-1", seen=claimed.state, after=claimed.after_claim, now=later)
        is None
    )
    assert writes.release_escalation("e-1", lease=lease)
    assert not writes.release_escalation("e-1", lease=lease)
    again = writes.claim_escalation("e-1", seen=claimed.state, after=claimed.after_claim, now=later)
    assert again is not None
    assert not writes.escalated("e-1", lease=lease + timedelta(seconds=1), at=later, ts="9.9")
    assert writes.escalated("e-1", lease=again, at=later, ts="9.9")
    done = read(db).question
    assert done.state is ConfirmState.UNANSWERED and not done.queued and not done.escalating
    assert done.answerable  # a late answer is still recorded
    assert reads.due(later) == [] and reads.states(["e-1", "e-9"]) == {
        "e-1": ConfirmState.UNANSWERED
    }


def test_a_denial_takes_over_the_silence_escalations_lease(db: Counted) -> None:
    commit(db, MINE)
    writes = SigninWrites(db, TABLE)
    assert ask(writes)
    seen = read(db).question
    lease = writes.claim_escalation("e-1", seen=seen.state, after=seen.after_claim, now=T0)
    assert lease is not None
    assert writes.answered("e-1", ConfirmState.DENIED, user_id=ALICE, at=T0)
    denied = read(db).question
    assert denied.state is ConfirmState.DENIED and denied.escalating and denied.lease_free(T0)
    assert not writes.escalated("e-1", lease=lease, at=T0, ts="9.9")  # the answer's now
    assert denied.after_claim is ConfirmState.DENIED
    assert writes.claim_escalation("e-1", seen=denied.state, after=denied.after_claim, now=T0)
    assert read(db).question.state is ConfirmState.DENIED
