"""GIVEN each kind of sign-in WHEN the real console_signin handler runs THEN it makes
no more DynamoDB calls than its budget (every call: read, commit, send slot, "sent"
mark). The counts are pinned: a change that adds a call fails here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.container import Container
from localdev.events import console_login
from tests.conftest import load_event

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)

# sign-in: (calls pinned, budget from issue 8). Confirmations are off by default; a
# sign-in that asks "Was this you?" is pinned in test_confirm_pipeline.py (6 calls).
BUDGET = {
    "root success, first time": (4, 4),
    "success from a new IP": (4, 4),
    "root failure": (4, 4),
    "failure held back by storm control": (2, 2),
    "failure that opens a burst": (4, 5),
    "failure inside an open burst": (2, 2),
    "duplicate of a posted sign-in": (1, 1),
    # Issue 18: the pairing item is one more key in the read and one more write in the
    # commit; the CheckMfa posts nothing (it was 4), its sign-in makes no extra call.
    "root CheckMfa, waiting for its sign-in": (2, 2),
    "root success after its CheckMfa": (4, 5),
}


class Calls:
    def __init__(self, container: Container) -> None:
        self.names: list[str] = []
        container.dynamodb.meta.events.register("before-call.dynamodb", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.names.clear()
        yield self.names


@pytest.fixture
def calls(configure: Callable[..., Container]) -> Calls:
    return Calls(configure())


def failure(n: int) -> dict[str, Any]:
    return console_login(f"f-{n}", T0 + timedelta(minutes=n))


def alice(event_id: str, ip: str, at: datetime) -> dict[str, Any]:
    return console_login(event_id, at, user="alice", ip=ip, success=True, mfa=True)


def measured(invoke: Any, calls: Calls, event: dict[str, Any], outcome: str) -> list[str]:
    with calls.counting() as names:
        assert invoke(event)["outcome"] == outcome
    return list(names)


def test_every_kind_of_signin_stays_within_its_call_budget(invoke: Any, calls: Calls) -> None:
    seen: dict[str, list[str]] = {}
    root = load_event("root_success_no_mfa.json")
    seen["root success, first time"] = measured(invoke, calls, root, "posted")
    seen["duplicate of a posted sign-in"] = measured(invoke, calls, root, "duplicate")
    invoke(alice("a-1", "8.8.8.8", T0))
    seen["success from a new IP"] = measured(
        invoke, calls, alice("a-2", "8.8.4.4", T0 + timedelta(hours=2)), "posted"
    )
    seen["root failure"] = measured(invoke, calls, failure(0), "posted")
    for n in (1, 2):
        invoke(failure(n))
    seen["failure held back by storm control"] = measured(invoke, calls, failure(3), "not_alerted")
    seen["failure that opens a burst"] = measured(invoke, calls, failure(4), "posted")
    seen["failure inside an open burst"] = measured(invoke, calls, failure(5), "not_alerted")
    seen["root CheckMfa, waiting for its sign-in"] = measured(
        invoke, calls, load_event("root_check_mfa.json"), "not_alerted"
    )
    seen["root success after its CheckMfa"] = measured(
        invoke, calls, load_event("root_success_after_check_mfa.json"), "posted"
    )

    assert {kind: len(names) for kind, names in seen.items()} == {
        kind: pinned for kind, (pinned, _) in BUDGET.items()
    }
    assert all(len(seen[kind]) <= budget for kind, (_, budget) in BUDGET.items())
    assert seen["root success, first time"] == [
        "BatchGetItem",  # gather: the event, the open burst, the place markers
        "TransactWriteItems",  # commit: recorded, counted, claimed
        "UpdateItem",  # the channel's send slot
        "UpdateItem",  # sent
    ]
    assert seen["duplicate of a posted sign-in"] == ["BatchGetItem"]
    # The CheckMfa's pairing item is read with the rest and written in the same commit.
    assert seen["root success after its CheckMfa"] == seen["root success, first time"]
