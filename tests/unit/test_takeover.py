"""The takeover correlation as a property: whatever the event times of a principal's
takeover steps and console sign-ins, and whatever their order of arrival, each record
tells exactly the marks of the other side already on the item whose times link them
(the sign-in at or after the step, within the window), and nothing else."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.changes.takeover import correlate, takeover_subject
from chalicelib.signin.parse import SignIn, parse_signin
from chalicelib.store.takeover import MAX_MARKS, TakeoverState
from localdev.events import console_login
from tests.conftest import load_event

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WINDOW = 24 * 3600


def reset_at(offset: int, event_id: str) -> SignIn:
    event: Any = copy.deepcopy(load_event("change_update_login_profile_other.json"))
    event["detail"]["eventTime"] = (T0 + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"]["eventID"] = event_id
    return parse_signin(event, received_at=T0)


def signin_at(offset: int, event_id: str) -> SignIn:
    event = console_login(event_id, T0 + timedelta(seconds=offset), user="bob", success=True,
                          mfa=True, account="987654321")  # fmt: skip
    return parse_signin(event, received_at=T0)


def test_both_sides_name_the_same_item() -> None:
    assert takeover_subject(reset_at(0, "r")) == takeover_subject(signin_at(60, "s"))


def linked(step: int, signin: int) -> bool:
    return step <= signin <= step + WINDOW


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(min_value=-10 * WINDOW, max_value=10 * WINDOW)),
        min_size=1,
        max_size=MAX_MARKS,
    )
)
def test_each_record_tells_exactly_the_linked_marks_seen_before_it(
    arrivals: list[tuple[bool, int]],
) -> None:
    state = TakeoverState()
    steps: list[int] = []
    signins: list[int] = []
    for number, (is_step, offset) in enumerate(arrivals):
        record = reset_at(offset, f"r-{number}") if is_step else signin_at(offset, f"s-{number}")
        found = correlate(record, state, WINDOW)
        if is_step:
            expected = sum(linked(offset, seen) for seen in signins)
            steps.append(offset)
        else:
            expected = sum(linked(seen, offset) for seen in steps)
            signins.append(offset)
        assert len(found.lines) == expected
        assert all(line.endswith("possible takeover") for line in found.lines)
        state = found.state
    assert state.version == len(arrivals)
