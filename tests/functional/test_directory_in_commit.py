"""GIVEN sign-ins of one principal arriving in any order WHEN the real console_signin
handler records them THEN the one commit per sign-in keeps the principal directory
exact (first and last sign-in, counts), counts the day in `COUNT` (with the digest's
tallies) and the hour in `HOURS`, and `/recent-logins alice` finds every one.
A commit decided on a stale read of the directory is a lost race, decided again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import permutations
from typing import Any

import pytest

from chalicelib.alerting.commit import Committer
from chalicelib.alerting.decide import Decider
from chalicelib.alerting.gather import Gatherer
from chalicelib.container import Container
from chalicelib.recent_logins.command import parse_command
from chalicelib.recent_logins.history import SigninHistory
from chalicelib.settings import Settings
from chalicelib.signin.parse import parse_signin
from chalicelib.store.recent_ring import parse_ring, ring_of
from chalicelib.store.schema import day_counter_key, day_hours_key, directory_key
from chalicelib.store.signin_record import Claim
from localdev.events import console_login
from tests.conftest import TABLE

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
TIMES = (T0, T0 + timedelta(hours=1, minutes=5), T0 + timedelta(hours=2, minutes=10))
ALICE = "arn:aws:iam::123456789012:user/alice"


def alice(number: int, at: datetime) -> dict[str, Any]:
    return console_login(f"a-{number}", at, user="alice", ip="8.8.8.8", success=True, mfa=True)


def item(dynamodb: Any, key: dict[str, Any]) -> dict[str, Any]:
    response = dynamodb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
    found: dict[str, Any] = response.get("Item", {})
    return found


def number(found: dict[str, Any], name: str) -> int:
    return int(found.get(name, {}).get("N", "0"))


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_the_commit_keeps_directory_and_day_counters_whatever_the_order(
    invoke: Any, configure: Callable[..., Container], order: tuple[int, ...]
) -> None:
    container = configure()
    for position in order:
        assert invoke(alice(position, TIMES[position]))["outcome"] in {"posted", "not_alerted"}

    entry = item(container.dynamodb, directory_key(ALICE))
    assert number(entry, "first_seen") == int(TIMES[0].timestamp())
    assert number(entry, "last_seen") == int(TIMES[2].timestamp())
    assert number(entry, "count_signins") == 3
    assert entry["display_name"]["S"] == "alice"
    # and its ring of newest sign-ins holds all three, newest first
    assert [ring.event_id for ring in parse_ring(ring_of(entry)) or ()] == ["a-2", "a-1", "a-0"]

    day = T0.date().isoformat()
    totals = item(container.dynamodb, day_counter_key(day))
    assert number(totals, "signins") == 3 and number(totals, "success") == 3
    assert not [name for name in totals if name[:1] == "h" and name[1:3].isdigit()]
    hours = item(container.dynamodb, day_hours_key(day))
    assert [number(hours, f"h{hour}_signins") for hour in ("09", "10", "11")] == [1, 1, 1]

    # What a user notices: the whole span is listed, exactly counted.
    history = SigninHistory(container.dynamodb, TABLE, clock=lambda: T0 + timedelta(hours=3))
    query = parse_command("alice since 1d", container.settings).to_query(T0 + timedelta(hours=3))
    found = history.recent(query)
    assert [entry.event_id for entry in found.entries] == ["a-2", "a-1", "a-0"]


def test_a_commit_placed_on_a_stale_read_is_a_lost_race_then_placed_again(
    dynamodb: Any,
) -> None:
    decider = Decider(Settings(), TABLE)
    gatherer = Gatherer(dynamodb, TABLE)
    committer = Committer(dynamodb)
    claim = Claim("me", 2_000_000_000.0)

    def plan(number: int, snapshot: Any = None) -> Any:
        signin = parse_signin(alice(number, TIMES[number]), received_at=T0)
        read = snapshot or gatherer.gather(decider.keys(signin))
        return decider.decide(signin, read, now=T0.timestamp(), claim=claim, can_update=False)

    middle = parse_signin(alice(1, TIMES[1]), received_at=T0)
    stale = gatherer.gather(decider.keys(middle))  # the directory holds nobody yet
    assert committer.commit(plan(2).writes)
    assert committer.commit(plan(0).writes)  # older than the last: placed as the oldest

    assert not committer.commit(plan(1, stale).writes)  # placed as the newest: lost race
    assert committer.commit(plan(1).writes)  # read again: between the two

    entry = item(dynamodb, directory_key(ALICE))
    assert number(entry, "first_seen") == int(TIMES[0].timestamp())
    assert number(entry, "last_seen") == int(TIMES[2].timestamp())
    assert number(entry, "count_signins") == 3
    assert number(item(dynamodb, day_counter_key(T0.date().isoformat())), "signins") == 3
    assert [ring.event_id for ring in parse_ring(ring_of(entry)) or ()] == ["a-2", "a-1", "a-0"]


def test_two_newest_sign_ins_on_one_read_of_the_ring_keep_both(dynamodb: Any) -> None:
    """Each is newer than the last the read saw, so the span alone would take both; the
    ring each writes is the one it read with its own sign-in, so the second is a lost
    race: decided again, the ring holds both."""
    decider = Decider(Settings(), TABLE)
    gatherer = Gatherer(dynamodb, TABLE)
    committer = Committer(dynamodb)
    claim = Claim("me", 2_000_000_000.0)
    signins = [parse_signin(alice(n, TIMES[n]), received_at=T0) for n in range(3)]

    def plan(number: int, read: Any) -> Any:
        signin = signins[number]
        return decider.decide(signin, read, now=T0.timestamp(), claim=claim, can_update=False)

    assert committer.commit(plan(0, gatherer.gather(decider.keys(signins[0]))).writes)
    one_read = gatherer.gather(decider.keys(signins[1]))
    assert committer.commit(plan(1, one_read).writes)
    assert not committer.commit(plan(2, one_read).writes)
    assert committer.commit(plan(2, gatherer.gather(decider.keys(signins[2]))).writes)

    entry = item(dynamodb, directory_key(ALICE))
    assert [ring.event_id for ring in parse_ring(ring_of(entry)) or ()] == ["a-2", "a-1", "a-0"]


def test_a_commit_that_lost_a_race_drops_the_ring_and_a_later_newest_begins_it_again(
    dynamodb: Any,
) -> None:
    """A storm of one principal's sign-ins: a commit that lost a race is decided again
    without its ring (dropped, no condition: no race after race on it); the next newest
    sign-in begins a ring again, and `/recent-logins` lists every sign-in throughout."""
    decider = Decider(Settings(), TABLE)
    gatherer = Gatherer(dynamodb, TABLE)
    committer = Committer(dynamodb)
    claim = Claim("me", 2_000_000_000.0)
    times = [*TIMES, T0 + timedelta(hours=2, minutes=30)]
    signins = [parse_signin(alice(n, times[n]), received_at=T0) for n in range(4)]

    def commit(number: int, *, contended: bool = False, read: Any = None) -> bool:
        signin = signins[number]
        snapshot = read if read is not None else gatherer.gather(decider.keys(signin))
        plan = decider.decide(
            signin, snapshot, now=T0.timestamp(), claim=claim, can_update=False, contended=contended
        )
        return bool(committer.commit(plan.writes))

    def listed() -> list[str]:
        history = SigninHistory(dynamodb, TABLE, clock=lambda: T0 + timedelta(hours=3))
        query = parse_command("alice since 1d", Settings()).to_query(T0 + timedelta(hours=3))
        return [entry.event_id for entry in history.recent(query).entries]

    assert commit(0)
    one_read = gatherer.gather(decider.keys(signins[1]))
    assert commit(1, read=one_read)
    assert not commit(2, read=one_read)  # lost the race on the ring
    assert commit(2, contended=True)  # decided again: the ring dropped
    entry = item(dynamodb, directory_key(ALICE))
    assert ring_of(entry) is None and number(entry, "count_signins") == 3
    assert listed() == ["a-2", "a-1", "a-0"]

    assert commit(3)  # the newest: a ring begins with it
    entry = item(dynamodb, directory_key(ALICE))
    assert [ring.event_id for ring in parse_ring(ring_of(entry)) or ()] == ["a-3"]
    assert listed() == ["a-3", "a-2", "a-1", "a-0"]
