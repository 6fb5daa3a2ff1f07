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
from localdev.fast_forward import FastForward
from tests.conftest import load_event
from tests.functional.organization import Organization, calls_of

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
    # The channel's send slot was taken a moment ago: the slot takes a second update.
    "success right behind another post": (5, 5),
    # Issue 18: the pairing item is one more key in the read and one more write in the
    # commit; the CheckMfa posts nothing (it was 4), its sign-in makes no extra call.
    "root CheckMfa, waiting for its sign-in": (2, 2),
    "root success after its CheckMfa": (4, 5),
    # Issue 23: account changes go through the same pipeline. A takeover step and a
    # console sign-in each read the principal's takeover item with the rest (one key
    # more, no call more) and put it in the same commit.
    "account change that alerts (takeover step)": (4, 4),
    "quiet account change (own password)": (2, 2),
    "duplicate of a posted account change": (1, 1),
    "sign-in after a takeover step": (4, 4),
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
    # Every kind posts alone (a success right behind another post is INFO).
    return Calls(configure(ALERT_MIN_SEVERITY="INFO"))


def failure(n: int) -> dict[str, Any]:
    return console_login(f"f-{n}", T0 + timedelta(minutes=n))


def alice(event_id: str, ip: str, at: datetime) -> dict[str, Any]:
    return console_login(event_id, at, user="alice", ip=ip, success=True, mfa=True)


def measured(
    invoke: Any,
    calls: Calls,
    event: dict[str, Any],
    outcome: str,
    clock: FastForward,
    *,
    after: float = 60.0,
) -> list[str]:
    """The calls one sign-in makes, `after` seconds (on the app's clock) after the last."""
    clock.advance(after)
    with calls.counting() as names:
        assert invoke(event)["outcome"] == outcome
    return list(names)


def test_every_kind_of_signin_stays_within_its_call_budget(
    invoke: Any, calls: Calls, fast_forward: FastForward
) -> None:
    seen: dict[str, list[str]] = {}

    def measure(kind: str, event: dict[str, Any], outcome: str, *, after: float = 60.0) -> None:
        seen[kind] = measured(invoke, calls, event, outcome, fast_forward, after=after)

    root = load_event("root_success_no_mfa.json")
    measure("root success, first time", root, "posted")
    measure("duplicate of a posted sign-in", root, "duplicate")
    invoke(alice("a-1", "8.8.8.8", T0))
    measure("success from a new IP", alice("a-2", "8.8.4.4", T0 + timedelta(hours=2)), "posted")
    measure(
        "success right behind another post",
        alice("a-3", "8.8.4.4", T0 + timedelta(hours=2, seconds=1)),
        "posted",
        after=0.0,
    )
    measure("root failure", failure(0), "posted")
    for n in (1, 2):
        invoke(failure(n))
    measure("failure held back by storm control", failure(3), "not_alerted")
    measure("failure that opens a burst", failure(4), "posted")
    measure("failure inside an open burst", failure(5), "not_alerted")
    measure(
        "root CheckMfa, waiting for its sign-in", load_event("root_check_mfa.json"), "not_alerted"
    )
    measure(
        "root success after its CheckMfa", load_event("root_success_after_check_mfa.json"), "posted"
    )

    reset = load_event("change_update_login_profile_other.json")
    measure("account change that alerts (takeover step)", reset, "posted")
    measure("duplicate of a posted account change", reset, "duplicate")
    measure(
        "quiet account change (own password)",
        load_event("change_change_password.json"),
        "not_alerted",
    )
    bob = console_login(
        "bob-1", datetime(2022, 9, 15, 14, 0, tzinfo=UTC), user="bob", success=True,
        mfa=True, account="987654321",
    )  # fmt: skip
    measure("sign-in after a takeover step", bob, "posted")

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
    assert seen["success right behind another post"][2:4] == ["UpdateItem", "UpdateItem"]
    # The CheckMfa's pairing item is read with the rest and written in the same commit.
    assert seen["root success after its CheckMfa"] == seen["root success, first time"]
    assert seen["sign-in after a takeover step"] == seen["root success, first time"]
    assert seen["account change that alerts (takeover step)"] == seen["root success, first time"]


def test_a_members_signin_costs_no_call_more_and_organizations_is_read_once(
    invoke: Any, configure: Callable[..., Container], fast_forward: FastForward
) -> None:
    """The organization's copy joins the sign-in's read and its commit: a member's
    sign-in makes the same DynamoDB calls as any other, and only the container's
    first one reads Organizations (once a day after that)."""
    org = Organization.create()
    member = org.account("Payments-Prod", "Workloads/Payments")
    container = configure()
    calls, organizations = Calls(container), calls_of(container.organizations)

    def member_signin(n: int) -> dict[str, Any]:
        return console_login(f"m-{n}", T0 + timedelta(minutes=n), user="alice", account=member)

    first = measured(invoke, calls, member_signin(1), "posted", fast_forward)
    read = list(organizations)
    organizations.clear()
    known = [measured(invoke, calls, member_signin(n), "posted", fast_forward) for n in (2, 3)]

    budget = ["BatchGetItem", "TransactWriteItems", "UpdateItem", "UpdateItem"]
    assert first == known[0] == known[1] == budget
    assert read[:2] == ["DescribeOrganization", "ListAccounts"]
    assert organizations == []


def test_the_digests_read_the_week_without_a_scan(
    configure: Callable[..., Container], slack_sink: Any, fast_forward: FastForward
) -> None:
    """The text digest: its mark and one Query of yesterday. The week's picture adds one
    BatchGetItem of the week's hour counters (and the upload, which is Slack's); the
    weekly digest reads each of its seven days with one Query."""
    from tests.conftest import NOW
    from tests.functional.test_digest_picture import web_api
    from tests.functional.test_places_and_digest import run_digest

    def digest_calls(container: Container) -> list[str]:
        yesterday = NOW.date() - timedelta(days=1)
        container.day_tally.release_digest(yesterday)  # each run posts, as the first would
        container.week_tally.release_weekly(yesterday)
        fast_forward.advance(60.0)  # the channel's send slot is free again
        counter = Calls(container)
        with counter.counting() as names:
            run_digest()
        return list(names)

    assert digest_calls(configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(NOW.hour))) == [
        "PutItem",  # the day's mark
        "Query",  # yesterday's tallies
        "GetItem",  # the organization's names (the ledger's copy, once a day a container)
        "UpdateItem",  # the channel's send slot
        "BatchGetItem",  # the principal catalog's shards, to pack (none is loose enough)
    ]
    daily = ["PutItem", "Query", "GetItem", "UpdateItem", "BatchGetItem"]  # + hour counters
    assert digest_calls(web_api(configure, slack_sink)) == [*daily, "BatchGetItem"]
    weekly = digest_calls(web_api(configure, slack_sink, DIGEST_WEEKLY_DAY="wednesday"))
    assert weekly[:5] == daily  # the daily, then the weekly, then the catalog's packing
    # Right behind the daily's post, the send slot takes a second update (as any post's).
    assert weekly[5:] == [
        "PutItem",
        *["Query"] * 7,
        "UpdateItem",
        "UpdateItem",
        "BatchGetItem",
        "BatchGetItem",
    ]
    assert "Scan" not in weekly


def test_a_routine_signin_stays_within_its_call_budget(
    invoke: Any, configure: Callable[..., Container], fast_forward: FastForward, slack_sink: Any
) -> None:
    """Issue 25: a routine sign-in (below ALERT_MIN_SEVERITY, the default MEDIUM) adds
    its roll-up entry and count to the commit's transaction: no call of its own with a
    webhook. With the Web API it refreshes its day's message at once: the roll-up's state
    is read, its lease taken, its entries read, and what was told written back (4 more
    calls; the first of the day also takes the channel's send slot, an update does not)."""
    webhook = Calls(configure())
    invoke(alice("r-1", "8.8.8.8", T0))  # the baseline
    routine = measured(invoke, webhook, alice("r-2", "8.8.8.8", T0), "not_alerted", fast_forward)
    assert routine == ["BatchGetItem", "TransactWriteItems"]

    web_api = Calls(
        configure(
            SLACK_WEBHOOK_URL="",
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_CHANNEL="C0SECOPS",
            SLACK_API_URL=slack_sink.api_url,
        )
    )
    first = measured(invoke, web_api, alice("r-3", "8.8.8.8", T0), "not_alerted", fast_forward)
    later = measured(invoke, web_api, alice("r-4", "8.8.8.8", T0), "not_alerted", fast_forward)
    refresh = ["GetItem", "UpdateItem", "Query", "UpdateItem"]  # state, lease, entries, told
    assert first == ["BatchGetItem", "TransactWriteItems", *refresh[:3], "UpdateItem", refresh[3]]
    assert later == ["BatchGetItem", "TransactWriteItems", *refresh]
