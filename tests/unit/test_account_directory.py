"""GIVEN a container's cache of the organization and an Organizations that answers as
scripted WHEN sign-ins arrive over days THEN it asks Organizations only when the copy
is a day old, after a failure (every interval), or for an unknown account (once per
interval), and a failed refresh keeps the names it had."""

from __future__ import annotations

from typing import Any

from chalicelib.organization.directory import AccountDirectory
from chalicelib.organization.roster import MemberAccount, Roster, RosterStatus
from chalicelib.signin.origin import Origin
from chalicelib.signin.parse import parse_signin
from chalicelib.store.attributes import DAY_SECONDS
from localdev.events import console_login
from tests.conftest import NOW

MEMBER, OUTSIDER = "111122223333", "999988887777"
INTERVAL = 600.0


class Scripted:
    """Organizations' answers in order; counts the reads."""

    def __init__(self, *answers: RosterStatus) -> None:
        self.answers = list(answers)
        self.reads: list[float] = []

    def read(self, *, now: float) -> Roster:
        self.reads.append(now)
        status = self.answers.pop(0)
        accounts = (MemberAccount(MEMBER, "Payments-Prod", "ACTIVE", "Workloads"),)
        return Roster(status, now, accounts=accounts if status is RosterStatus.READ else ())


def directory(organizations: Scripted) -> AccountDirectory:
    return AccountDirectory(
        lambda: organizations,  # type: ignore[arg-type,return-value]
        "ledger",
        names={},
        refresh_minutes=INTERVAL / 60,
        home=lambda: "",
    )


def arrive(accounts: AccountDirectory, account: str, now: float) -> Any:
    """One sign-in: its keys, then its placing; the ledger holds no copy."""
    signin = parse_signin(console_login("e", NOW, account=account), received_at=NOW)
    accounts.keys(signin, now=now)
    placed = accounts.place(signin, lambda key: None, now=now)
    accounts.committed()
    return placed.origin


def test_a_known_account_never_asks_again_within_the_day() -> None:
    organizations = Scripted(RosterStatus.READ, RosterStatus.READ)
    accounts = directory(organizations)

    origins = [arrive(accounts, MEMBER, now=float(t)) for t in range(0, 3600, 60)]
    arrive(accounts, MEMBER, now=DAY_SECONDS + 1.0)

    assert organizations.reads == [0.0, DAY_SECONDS + 1.0]
    assert {origin.origin for origin in origins} == {Origin.MEMBER}
    assert origins[0].name == "Payments-Prod"


def test_an_outsiders_flood_asks_once_per_interval() -> None:
    organizations = Scripted(*[RosterStatus.READ] * 4)
    accounts = directory(organizations)
    arrive(accounts, MEMBER, now=0.0)

    origins = [arrive(accounts, OUTSIDER, now=1.0 + n) for n in range(1_000)]
    arrive(accounts, OUTSIDER, now=1.0 + INTERVAL)

    assert organizations.reads == [0.0, 1.0, 1.0 + INTERVAL]
    assert {origin.origin for origin in origins} == {Origin.OUTSIDE}
    assert {origin.name for origin in origins} == {""}


def test_a_failed_daily_refresh_keeps_the_names_and_tries_again_after_the_interval() -> None:
    organizations = Scripted(RosterStatus.READ, RosterStatus.FAILED, RosterStatus.READ)
    accounts = directory(organizations)
    arrive(accounts, MEMBER, now=0.0)

    day = DAY_SECONDS + 1.0
    kept = arrive(accounts, MEMBER, now=day)
    arrive(accounts, MEMBER, now=day + INTERVAL / 2)
    arrive(accounts, MEMBER, now=day + INTERVAL)

    assert kept.name == "Payments-Prod"
    assert organizations.reads == [0.0, day, day + INTERVAL]
