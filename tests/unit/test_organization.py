"""GIVEN what AWS Organizations answers (botocore's Stubber: the exact calls, in order)
THEN the roster holds every account with its state and OU path, never raises, and
survives the ledger; the trust decision and the channel route are pure values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.organization.reader import OrganizationReader
from chalicelib.organization.roster import MemberAccount, Roster, RosterStatus
from chalicelib.organization.stored import roster_of, roster_put
from chalicelib.organization.trust import home_account, origin_of, placed
from chalicelib.settings import ConfigError, Settings
from chalicelib.severity import Severity
from chalicelib.signin.origin import AccountOrigin, Origin
from chalicelib.signin.parse import parse_signin
from chalicelib.slack.channels import RouteKind, channel_for
from localdev.events import console_login
from tests.conftest import NOW, load_event

ORG = {"Organization": {"Id": "o-abc", "MasterAccountId": "111111111111"}}


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("organizations", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def account(account_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"Id": account_id, "Name": name, **fields}


def test_every_page_is_read_even_after_an_empty_one_and_state_wins_over_status(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_response("describe_organization", ORG)
    stub.add_response(
        "list_accounts",
        {"Accounts": [account("111111111111", "mgmt", State="ACTIVE")], "NextToken": "t1"},
        {"MaxResults": 20},
    )
    stub.add_response("list_parents", {"Parents": [{"Id": "r-1", "Type": "ROOT"}]})
    stub.add_response("list_accounts", {"Accounts": [], "NextToken": "t2"})
    stub.add_response(
        "list_accounts",
        {
            "Accounts": [
                # Status retired: State is read; Status only where State is missing.
                account("222222222222", "Old", State="SUSPENDED", Status="ACTIVE"),
                account("333333333333", "Legacy", Status="ACTIVE"),
            ]
        },
        {"MaxResults": 20, "NextToken": "t2"},
    )
    stub.add_response("list_parents", {"Parents": [{"Id": "r-1", "Type": "ROOT"}]})
    stub.add_response("list_parents", {"Parents": [{"Id": "r-1", "Type": "ROOT"}]})

    roster = OrganizationReader(client).read(now=5.0)

    assert roster.status is RosterStatus.READ and roster.read_at == 5.0
    assert [(a.account_id, a.state) for a in roster.accounts] == [
        ("111111111111", "ACTIVE"),
        ("222222222222", "SUSPENDED"),
        ("333333333333", "ACTIVE"),
    ]
    assert roster.active_member("222222222222") is None


def test_paths_give_the_ou_path_and_each_ou_is_described_once(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_response("describe_organization", ORG)
    path = "o-abc/r-1/ou-1-aaaaaaaa/ou-1-bbbbbbbb/{}/"
    stub.add_response(
        "list_accounts",
        {
            "Accounts": [
                account("444444444444", "Pay", State="ACTIVE", Paths=[path.format("4" * 12)]),
                account("555555555555", "Bill", State="ACTIVE", Paths=[path.format("5" * 12)]),
            ]
        },
    )
    for unit, name in (("ou-1-aaaaaaaa", "Workloads"), ("ou-1-bbbbbbbb", "Payments")):
        stub.add_response(
            "describe_organizational_unit",
            {"OrganizationalUnit": {"Id": unit, "Name": name}},
            {"OrganizationalUnitId": unit},
        )

    roster = OrganizationReader(client).read(now=1.0)

    assert [a.ou_path for a in roster.accounts] == ["Workloads/Payments"] * 2
    assert [a.account_id for a in roster.under("workloads")] == ["444444444444", "555555555555"]
    assert roster.under("Work") == ()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AWSOrganizationsNotInUseException", RosterStatus.NOT_IN_ORGANIZATION),
        ("AccessDeniedException", RosterStatus.NOT_PERMITTED),
        ("TooManyRequestsException", RosterStatus.FAILED),
    ],
)
def test_an_unreadable_organization_is_a_status_never_a_raise(
    stubbed: tuple[Any, Stubber], code: str, status: RosterStatus
) -> None:
    client, stub = stubbed
    stub.add_client_error("describe_organization", code)

    roster = OrganizationReader(client).read(now=7.0)

    assert (roster.status, roster.accounts, roster.known) == (status, (), False)
    assert status.reason


def test_the_ledger_copy_reads_back_what_was_read_and_a_damaged_one_is_none() -> None:
    roster = Roster(
        RosterStatus.READ,
        123.5,
        "o-abc",
        "111111111111",
        (MemberAccount("111111111111", "mgmt", "ACTIVE"), MemberAccount("2" * 12, "x", "CLOSED")),
    )
    item = roster_put("table", roster)["Put"]["Item"]

    assert roster_of(item) == roster
    assert roster_of({**item, "accounts": {"S": "not base64 zlib"}}) is None
    assert roster_of({**item, "status": {"S": "from-a-later-version"}}) is None
    assert roster_of(None) is None


MEMBER = "444455556666"
ROSTER = Roster(
    RosterStatus.READ,
    0.0,
    accounts=(
        MemberAccount(MEMBER, "Payments-Prod", "ACTIVE", "Workloads/Payments"),
        MemberAccount("777788889999", "Gone", "SUSPENDED"),
    ),
)

ALONE = Roster(RosterStatus.NOT_IN_ORGANIZATION)
THEIRS = "named in ACCOUNT_NAMES"
DENIED = Roster(RosterStatus.NOT_PERMITTED)


def event_from(sender: str, recipient: str) -> Any:
    event = console_login("e", NOW, account=recipient)
    event["account"] = sender
    return parse_signin(event, received_at=NOW)


@pytest.mark.parametrize(
    ("sender", "recipient", "roster", "home", "expected"),
    [
        (MEMBER, MEMBER, ROSTER, "", AccountOrigin(Origin.MEMBER, "renamed", "Workloads/Payments")),
        ("999988887777", MEMBER, ROSTER, "", AccountOrigin(Origin.MISMATCH)),
        ("777788889999", "777788889999", ROSTER, "", AccountOrigin(Origin.OUTSIDE)),
        ("999988887777", "999988887777", ROSTER, MEMBER, AccountOrigin(Origin.OUTSIDE)),
        (MEMBER, MEMBER, ALONE, MEMBER, AccountOrigin(Origin.HOME, "renamed")),
        ("999988887777", "999988887777", ALONE, MEMBER, AccountOrigin(Origin.OUTSIDE)),
        (MEMBER, MEMBER, ALONE, "", AccountOrigin(Origin.UNCHECKED, "renamed")),
        # An organization the app may not read: its members are not called outsiders.
        ("999988887777", "999988887777", DENIED, MEMBER, AccountOrigin(Origin.UNCHECKED, THEIRS)),
        ("999988887777", "999988887777", Roster(), MEMBER, AccountOrigin(Origin.UNCHECKED, THEIRS)),
        ("999988887777", MEMBER, Roster(), "", AccountOrigin(Origin.MISMATCH)),
        ("not-an-account", MEMBER, ROSTER, "", AccountOrigin(Origin.MISMATCH)),
    ],
)
def test_who_is_trusted_and_named(
    sender: str, recipient: str, roster: Roster, home: str, expected: AccountOrigin
) -> None:
    signin = event_from(sender, recipient)
    names = {MEMBER: "renamed", "999988887777": THEIRS}

    assert origin_of(signin, roster, home=home, names=names) == expected
    if not expected.origin.trusted and sender.isdigit():
        assert signin.account_id == sender  # the sender, never the member it claims


def assume_root_from(sender: str, target: str) -> Any:
    text = json.dumps(load_event("change_assume_root.json")).replace("111111111111", sender)
    event = json.loads(text)
    event["detail"]["requestParameters"]["targetPrincipal"] = target
    return parse_signin(event, received_at=NOW)


OUTSIDER = "999988887777"
MANAGER = "111111111111"
MEMBER_ROOT = f"arn:aws:iam::{MEMBER}:root"  # targetPrincipal may be the root user's ARN
WITH_MANAGER = Roster(
    RosterStatus.READ, 0.0, accounts=(*ROSTER.accounts, MemberAccount(MANAGER, "mgmt", "ACTIVE"))
)


@pytest.mark.parametrize(
    ("sender", "target", "roster", "home", "named"),
    [
        (MANAGER, MEMBER, WITH_MANAGER, "", ("renamed", "Workloads/Payments")),
        (
            MANAGER,
            f"arn:aws:iam::{MEMBER}:root",
            WITH_MANAGER,
            "",
            ("renamed", "Workloads/Payments"),
        ),
        (MANAGER, "777788889999", WITH_MANAGER, "", ("", "")),  # suspended: not a member now
        (MANAGER, OUTSIDER, WITH_MANAGER, "", ("", "")),  # ACCOUNT_NAMES cannot name it
        (OUTSIDER, MEMBER, WITH_MANAGER, "", ("", "")),  # an outsider's record names nobody
        (MANAGER, OUTSIDER, ALONE, MANAGER, ("", "")),  # in no organization: home alone
        (MANAGER, MANAGER, ALONE, MANAGER, ("mine", "")),
        (MANAGER, OUTSIDER, DENIED, MANAGER, (THEIRS, "")),  # unchecked: as before
        (MANAGER, OUTSIDER, Roster(), "", (THEIRS, "")),
    ],
)
def test_a_root_sessions_target_is_named_only_as_a_trusted_member(
    sender: str, target: str, roster: Roster, home: str, named: tuple[str, str]
) -> None:
    names = {MEMBER: "renamed", OUTSIDER: THEIRS, MANAGER: "mine"}

    change = placed(assume_root_from(sender, target), roster, home=home, names=names).change

    assert change is not None and change.target == target
    assert (change.target_name, change.target_ou_path) == named


def test_the_home_account_is_read_from_the_function_arn() -> None:
    assert home_account("arn:aws:lambda:us-east-1:111122223333:function:x") == "111122223333"
    assert home_account("") == home_account("arn:aws:lambda:us-east-1::function:x") == ""


ROUTES = Settings(
    slack_channel_by_severity={Severity.CRITICAL: "C0SEC", Severity.LOW: "C0LOW"},
    slack_channel_by_account=(
        ("Payments-*", "C0PAY"),
        ("ou:Sandbox/*", "C0SBX"),
        ("4444*", "C0ID"),
    ),
)
PAYMENTS = AccountOrigin(Origin.MEMBER, "payments-prod", "Workloads/Payments")


@pytest.mark.parametrize("severity", list(Severity))
@pytest.mark.parametrize(
    "origin",
    [PAYMENTS, AccountOrigin(Origin.OUTSIDE), AccountOrigin(Origin.MEMBER, "x", "Sandbox/A")],
)
def test_a_critical_always_reaches_the_severity_channel_and_outsiders_no_account_channel(
    severity: Severity, origin: AccountOrigin
) -> None:
    choice = channel_for(severity, MEMBER, origin, ROUTES)

    if severity is Severity.CRITICAL:
        assert (choice.channel, choice.kind) == ("C0SEC", RouteKind.CRITICAL_SEVERITY)
    elif not origin.origin.trusted:
        assert choice.kind is not RouteKind.ACCOUNT
    else:
        assert choice.kind is RouteKind.ACCOUNT


def test_account_globs_match_the_name_in_any_case_the_ou_path_and_the_id() -> None:
    def route(origin: AccountOrigin, account_id: str = "123412341234") -> str | None:
        return channel_for(Severity.INFO, account_id, origin, ROUTES).channel

    assert route(PAYMENTS) == "C0PAY"
    assert route(AccountOrigin(Origin.MEMBER, "Dev", "sandbox/team1")) == "C0SBX"
    assert route(AccountOrigin(Origin.MEMBER, "Dev", "Sandbox")) is None  # not below it
    assert route(AccountOrigin(Origin.UNCHECKED), "444411112222") == "C0ID"
    assert channel_for(Severity.LOW, "1" * 12, AccountOrigin(), ROUTES).channel == "C0LOW"


@pytest.mark.parametrize("raw", ["Payments-*", "=C0PAY", "Payments-*=", "ou:=C0X", "a=b c"])
def test_a_bad_account_route_names_the_setting(raw: str) -> None:
    with pytest.raises(ConfigError, match="SLACK_CHANNEL_BY_ACCOUNT"):
        Settings.from_env({"SLACK_CHANNEL_BY_ACCOUNT": raw})


def test_a_read_stops_at_half_the_time_left_and_keeps_the_rest_for_the_signin(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_response("describe_organization", ORG)
    stub.add_response("list_accounts", {"Accounts": [], "NextToken": "t1"})
    left = iter([10.0, 9.0, 6.0, 4.9])  # at the start, then before each call

    roster = OrganizationReader(client, time_left=lambda: next(left)).read(now=3.0)

    assert (roster.status, roster.read_at) == (RosterStatus.FAILED, 3.0)
