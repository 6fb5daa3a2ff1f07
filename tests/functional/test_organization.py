"""GIVEN an AWS Organization (moto: OUs, member accounts) WHEN its members' sign-ins
reach the handler THEN each alert names the account by its Organizations name and OU
path, the organization is read once and kept in the ledger (a known account's sign-in
costs no call more), a new account is looked up once, and an event from outside the
organization (or whose record names another account) is flagged HIGH and never named."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.store.schema import DAY_SECONDS, event_key
from localdev.events import console_login
from localdev.fast_forward import FastForward
from tests.conftest import NOW, TABLE
from tests.functional.organization import Organization, calls_of

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
