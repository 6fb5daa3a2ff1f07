"""GIVEN an AWS Organization (moto: OUs, member accounts) WHEN its members' sign-ins
reach the handler THEN each alert names the account by its Organizations name and OU
path, the organization is read once and kept in the ledger (a known account's sign-in
costs no call more), a new account is looked up once, and an event from outside the
organization (or whose record names another account) is flagged HIGH and never named."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.container import Container
from chalicelib.store.attributes import DAY_SECONDS
from chalicelib.store.schema import event_key
from localdev.events import console_login
from localdev.fast_forward import FastForward
from tests.conftest import NOW, TABLE
from tests.functional.conftest import Slash
from tests.functional.organization import Organization, calls_of, deployed_in
from tests.functional.test_places_and_digest import run_digest


@pytest.fixture
def configure(configure: Callable[..., Container]) -> Callable[..., Container]:
    """Every sign-in posted (ALERT_MIN_SEVERITY=INFO unless a test says otherwise): these
    tests are about names, trust and routing, not the routine roll-up (test_routine.py)."""

    def build(**settings: str) -> Container:
        return configure(**{"ALERT_MIN_SEVERITY": "INFO", **settings})

    build()
    return build


# The calls of an alerting sign-in (test_call_budget.py): read, commit, slot, sent.
SIGNIN_CALLS = ["BatchGetItem", "TransactWriteItems", "UpdateItem", "UpdateItem"]
OUTSIDER = "999988887777"


def signin(event_id: str, account: str, minutes: float = 0, **fields: Any) -> dict[str, Any]:
    fields = {"user": "alice", "success": True, "mfa": True, **fields}
    return console_login(event_id, NOW + timedelta(minutes=minutes), account=account, **fields)


def rendered(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def stored(dynamodb: Any, event_id: str) -> dict[str, Any]:
    item: dict[str, Any] = dynamodb.get_item(TableName=TABLE, Key=event_key(event_id))["Item"]
    return item


@pytest.fixture
def org(aws: None) -> Organization:
    return Organization.create()


def test_a_members_alert_names_it_by_organizations_and_its_ou_path(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any, dynamodb: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    configure()

    assert invoke(signin("m-1", payments))["outcome"] == "posted"

    [message] = slack_sink.messages
    assert f"Payments-Prod ({payments}), OU Workloads/Payments" in rendered(message)
    assert f"account {payments}" in message["text"]
    assert stored(dynamodb, "m-1")["origin"]["S"] == "member"


def test_account_names_still_wins_over_the_organizations_name(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    configure(ACCOUNT_NAMES=f"{payments}=payments (card data)")

    invoke(signin("m-1", payments))

    [message] = slack_sink.messages
    assert f"payments (card data) ({payments})" in rendered(message)
    assert "Payments-Prod" not in rendered(message)


def test_the_organization_is_read_once_a_day_and_a_known_account_costs_no_call(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any, fast_forward: FastForward
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    first = configure()
    asked, read = calls_of(first.organizations), calls_of(first.dynamodb)

    invoke(signin("m-1", payments))
    assert asked[0] == "DescribeOrganization" and "ListAccounts" in asked
    assert read == SIGNIN_CALLS  # the ledger's copy came in the read, went in the commit

    asked.clear()
    read.clear()
    fast_forward.advance(60)  # the channel's send slot is free again
    invoke(signin("m-2", payments, minutes=1))
    assert (asked, read) == ([], SIGNIN_CALLS)

    # A cold container: the copy in the ledger, loaded in the sign-in's own read.
    cold = configure()
    asked, read = calls_of(cold.organizations), calls_of(cold.dynamodb)
    fast_forward.advance(60)
    invoke(signin("m-3", payments, minutes=2))
    assert (asked, read) == ([], SIGNIN_CALLS)
    assert "Payments-Prod" in rendered(slack_sink.messages[-1])

    # A day later the copy is read again, once, still in the sign-ins' own reads.
    read.clear()
    fast_forward.advance(DAY_SECONDS)
    invoke(signin("m-4", payments, minutes=60 * 24 + 3))
    fast_forward.advance(60)
    invoke(signin("m-5", payments, minutes=60 * 24 + 4))
    assert asked.count("DescribeOrganization") == 1
    assert read.count("BatchGetItem") == 2 and read.count("GetItem") == 0


def test_an_account_that_joins_later_is_looked_up_once_and_named(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any, fast_forward: FastForward
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    container = configure()
    asked = calls_of(container.organizations)
    invoke(signin("m-1", payments))
    sandbox = org.account("Sandbox-Dev", "Sandbox/Team1")
    asked.clear()
    fast_forward.advance(30)

    invoke(signin("s-1", sandbox, minutes=1))
    invoke(signin("s-2", sandbox, minutes=2))

    assert asked.count("DescribeOrganization") == 1
    assert all("outside" not in rendered(m) for m in slack_sink.messages)
    assert f"Sandbox-Dev ({sandbox}), OU Sandbox/Team1" in rendered(slack_sink.messages[-1])


def test_a_flood_from_outside_is_flagged_never_named_and_reads_organizations_once(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any, dynamodb: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    container = configure(ACCOUNT_NAMES=f"{OUTSIDER}=looks-like-ours")
    invoke(signin("m-1", payments))
    asked = calls_of(container.organizations)

    for n in range(10):
        invoke(signin(f"x-{n}", OUTSIDER, minutes=1 + n, user=f"user{n}"))

    assert asked.count("DescribeOrganization") == 1  # the first outsider; then none
    flagged = slack_sink.messages[1:]
    assert len(flagged) == 10
    for message in flagged:
        assert message["text"].startswith("HIGH: Sign-in event from an account outside")
        assert f"{OUTSIDER}, outside the organization" in rendered(message)
        assert "looks-like-ours" not in rendered(message)
    assert stored(dynamodb, "x-0")["origin"]["S"] == "outside"


def test_a_record_naming_a_member_it_was_not_sent_by_is_flagged_with_the_sender(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any, dynamodb: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    configure()
    event = signin("spoof-1", payments)
    event["account"] = OUTSIDER  # forwarded by an outsider's bus, claiming a member

    invoke(event)

    [message] = slack_sink.messages
    assert message["text"].startswith("HIGH: Sign-in event from an account outside")
    assert f"{OUTSIDER}, outside the organization (its record names {payments})" in rendered(
        message
    )
    assert "Payments-Prod" not in rendered(message)
    item = stored(dynamodb, "spoof-1")
    assert (item["origin"]["S"], item["account_id"]["S"]) == ("mismatch", OUTSIDER)


def test_an_outsiders_record_only_event_still_alerts(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any
) -> None:
    org.account("Payments-Prod")
    configure(IGNORE_PRINCIPALS="*alice*")
    event = signin("x-switch", OUTSIDER)
    event["detail"]["eventName"] = "SwitchRole"  # recorded, never alerted, for a member

    assert invoke(event)["outcome"] == "posted"
    assert "outside the organization" in slack_sink.messages[0]["text"]


def test_without_an_organization_the_app_is_as_before_and_says_why_once(
    configure: Any, invoke: Any, slack_sink: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    configure(ACCOUNT_NAMES="444455556666=staging")

    invoke(signin("a-1", "444455556666"))
    invoke(signin("a-2", "444455556666", minutes=1))
    configure(ACCOUNT_NAMES="444455556666=staging")  # a second container
    invoke(signin("a-3", "444455556666", minutes=2))

    assert len(slack_sink.messages) == 3
    for message in slack_sink.messages:
        assert message["text"].startswith("INFO: ")
        assert "staging (444455556666)" in rendered(message)
    said = [r.getMessage() for r in caplog.records if "organization not read" in r.getMessage()]
    assert said == [
        "organization not read (not_in_organization): this account is not in an AWS "
        "Organization: only its own sign-ins are trusted"
    ]


def test_alerts_go_to_the_channel_of_their_account_name_or_ou_and_criticals_to_security(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any, fast_forward: FastForward
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    sandbox = org.account("Sandbox-Dev", "Sandbox/Team1")
    other = org.account("Shared-Services", "Infrastructure")
    configure(
        SLACK_WEBHOOK_URL="",
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_CHANNEL="C0DEFAULT",
        SLACK_API_URL=slack_sink.api_url,
        SLACK_CHANNEL_BY_SEVERITY="CRITICAL=C0SEC,HIGH=C0SEC",
        SLACK_CHANNEL_BY_ACCOUNT=f"payments-*=C0PAY,ou:Sandbox/*=C0SANDBOX,{OUTSIDER}=C0PAY",
    )
    cases = [
        (signin("r-pay", payments), "C0PAY"),  # by its name, any case
        (signin("r-pay-nomfa", payments, mfa=False), "C0PAY"),  # HIGH: the account wins
        (signin("r-sandbox", sandbox), "C0SANDBOX"),  # by its OU path
        (signin("r-other", other), "C0DEFAULT"),  # no glob matches
        (console_login("r-root", NOW, account=payments, success=True), "C0SEC"),  # CRITICAL
        (signin("r-outside", OUTSIDER), "C0SEC"),  # HIGH, outside: never by account
    ]
    for event, _ in cases:
        fast_forward.advance(60)
        assert invoke(event)["outcome"] == "posted"

    wanted = [channel for _, channel in cases]
    assert [message["channel"] for message in slack_sink.messages] == wanted


def test_recent_logins_names_accounts_and_takes_a_name_or_an_ou(
    org: Organization, slash: Slash, invoke: Any, fast_forward: FastForward
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    billing = org.account("Billing-Prod", "Workloads/Billing")
    sandbox = org.account("Sandbox-Dev", "Sandbox")
    for n, (account, user) in enumerate(
        [(payments, "alice"), (billing, "bob"), (sandbox, "carol"), (payments, "dave")]
    ):
        invoke(signin(f"l-{n}", account, minutes=-10 + n, user=user))
        fast_forward.advance(1)
    slash.configure()  # a cold /recent-logins container: the names from the ledger

    everything = slash("").text
    assert f"Payments-Prod ({payments})" in everything
    assert f"Sandbox-Dev ({sandbox})" in everything

    by_name = slash("account payments-prod").text
    assert ("alice" in by_name, "dave" in by_name, "bob" in by_name) == (True, True, False)
    assert f"in account Payments-Prod ({payments})" in by_name

    by_ou = slash("account ou:Workloads").text
    assert ("alice" in by_ou, "bob" in by_ou, "carol" in by_ou) == (True, True, False)
    assert "ou:Workloads (2 accounts)" in by_ou

    deeper = slash("account ou:workloads/billing").text
    assert ("bob" in deeper, "alice" in deeper) == (True, False)


def test_recent_logins_answers_an_unknown_account_with_the_known_names(
    org: Organization, slash: Slash, invoke: Any
) -> None:
    for n in range(20):
        org.account(f"Team-{n:02d}", "Workloads")
    invoke(signin("l-0", org.accounts["Team-00"]))
    slash.configure()

    reply = slash("account Payments-Prod").text

    assert "I did not understand" in reply and "Payments-Prod" in reply
    assert "Team-00, Team-01" in reply and "and 6 more" in reply  # 21 names, 15 shown
    assert "Team-19" not in reply
    assert "no account of the organization is under that OU" in slash("account ou:Nowhere").text


def test_the_digest_names_the_busiest_principals_accounts(
    org: Organization, configure: Any, invoke: Any, slack_sink: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads/Payments")
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(NOW.hour))
    yesterday = -24 * 60
    invoke(signin("d-1", payments, minutes=yesterday, user="alice"))
    invoke(signin("d-2", OUTSIDER, minutes=yesterday + 1, user="mallory"))
    configure(DIGEST_ENABLED="true", DIGEST_HOUR_UTC=str(NOW.hour))  # the digest's container

    assert run_digest()["digest"].startswith("posted for")

    body = json.dumps(slack_sink.messages[-1]["blocks"])
    assert f"IAM user alice (Payments-Prod {payments}): 1 sign-in," in body
    assert f"IAM user mallory ({OUTSIDER}): 1 sign-in," in body


def test_an_organization_the_app_may_not_read_flags_nobody_and_says_why_once(
    configure: Any,
    invoke: Any,
    slack_sink: Any,
    caplog: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A member account without organizations:ListAccounts (AccessDenied): the app
    works as before organizations, even knowing its own account."""
    caplog.set_level(logging.WARNING)
    deployed_in(monkeypatch, "111122223333")
    container = configure(ACCOUNT_NAMES="444455556666=staging")
    with Stubber(container.organizations) as organizations:
        organizations.add_client_error("describe_organization", "AccessDeniedException")
        invoke(signin("d-1", "444455556666"))
        invoke(signin("d-2", "444455556666", minutes=1))  # no second call: the stub has none

    for message in slack_sink.messages:
        assert message["text"].startswith("INFO: ")
        assert "staging (444455556666)" in rendered(message)
    said = [r.getMessage() for r in caplog.records if "organization not read" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("organization not read (not_permitted)")
