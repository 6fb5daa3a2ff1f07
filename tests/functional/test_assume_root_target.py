"""GIVEN an `sts:AssumeRoot` record, recorded in the management account and naming a
member in `targetPrincipal`, WHEN it reaches the real `account_change` handler THEN the
alert, its change line and `/recent-logins changes` name the target member by its
Organizations name and OU path (ACCOUNT_NAMES first), say its id, and name by id alone
an account outside the organization, or any account when no organization is known
(issue 23, with issue 17's names). No call is added: the roster is the container's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

import app as app_module
from localdev.events import ACCOUNT as MANAGEMENT
from tests.conftest import NOW, load_event
from tests.functional.conftest import Slash
from tests.functional.organization import Organization, calls_of, deployed_in

OUTSIDER = "999988887777"
TITLE = "HIGH: Root task session started in account "


def assume_root(event_id: str, target: str, *, sender: str = MANAGEMENT) -> dict[str, Any]:
    """The public AssumeRoot record, made by `sender`'s role, on `target`, at NOW."""
    text = json.dumps(load_event("change_assume_root.json")).replace("111111111111", sender)
    event: dict[str, Any] = json.loads(text)
    detail = event["detail"]
    detail["eventID"] = event["id"] = event_id
    detail["eventTime"] = event["time"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    detail["recipientAccountId"] = sender
    detail["requestParameters"]["targetPrincipal"] = target
    return event


class ChangeHandler:
    def __init__(self, client: Client) -> None:
        self._client = client

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = self._client.lambda_.invoke("account_change", event).payload
        return payload


@pytest.fixture
def handle(configure: Any) -> Iterator[ChangeHandler]:
    with Client(app_module.app, stage_name="dev-us-east-1") as client:
        yield ChangeHandler(client)


@pytest.fixture
def org(aws: None) -> Organization:
    return Organization.create()


def rendered(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def change_line(message: dict[str, Any]) -> str:
    """The alert's section that says what changed and whose."""
    blocks = [block for part in message.get("attachments", []) for block in part["blocks"]]
    [text] = [
        block["text"]["text"]
        for block in [*message.get("blocks", []), *blocks]
        if isinstance(block.get("text"), dict) and block["text"]["text"].startswith("*Change*")
    ]
    return str(text)


def test_a_members_root_session_is_named_by_organizations_in_the_alert_and_the_listing(
    org: Organization, slash: Slash, handle: ChangeHandler, slack_sink: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads")
    container = slash.configure()
    asked, read = calls_of(container.organizations), calls_of(container.dynamodb)

    assert handle(assume_root("ar-1", payments))["outcome"] == "posted"

    named = f"Payments-Prod ({payments}), OU Workloads"
    [message] = slack_sink.messages
    assert message["text"].startswith(TITLE + named)
    assert f"on account {named}, task policy S3UnlockBucketPolicy" in change_line(message)
    assert f"{MANAGEMENT}" in rendered(message)  # the Account field: the caller's own
    # The target's name came with the roster this event already loaded: no call more.
    assert asked.count("ListAccounts") == 1
    assert read.count("BatchGetItem") == 1 and "GetItem" not in read

    slash.configure()  # a cold /recent-logins container reads the stored line
    assert f"Root task session started in account {named}" in slash("changes").text


def test_account_names_wins_over_the_organizations_name_of_the_target(
    org: Organization, configure: Any, handle: ChangeHandler, slack_sink: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads")
    configure(ACCOUNT_NAMES=f"{payments}=payments (card data)")

    handle(assume_root("ar-1", payments))

    [message] = slack_sink.messages
    assert message["text"].startswith(f"{TITLE}payments (card data) ({payments}), OU Workloads")
    assert "Payments-Prod" not in rendered(message)


@pytest.mark.parametrize("named_by_setting", [False, True], ids=["plain", "in ACCOUNT_NAMES"])
def test_a_target_outside_the_organization_is_never_named(
    org: Organization,
    configure: Any,
    handle: ChangeHandler,
    slack_sink: Any,
    named_by_setting: bool,
) -> None:
    org.account("Payments-Prod", "Workloads")
    configure(ACCOUNT_NAMES=f"{OUTSIDER}=Looks-Trusted" if named_by_setting else "")

    assert handle(assume_root("ar-1", OUTSIDER))["outcome"] == "posted"

    [message] = slack_sink.messages
    assert message["text"].startswith(f"{TITLE}{OUTSIDER}:")
    assert f"on account {OUTSIDER}, task policy" in change_line(message)
    assert "Looks-Trusted" not in rendered(message)


def test_an_outsiders_record_naming_a_member_as_its_target_does_not_name_it(
    org: Organization, configure: Any, handle: ChangeHandler, slack_sink: Any
) -> None:
    payments = org.account("Payments-Prod", "Workloads")
    configure()

    handle(assume_root("ar-1", payments, sender=OUTSIDER))

    [message] = slack_sink.messages
    assert "Payments-Prod" not in rendered(message)
    assert f"on account {payments}, task policy" in change_line(message)


def test_without_an_organization_the_target_is_its_id_alone(
    aws: None, configure: Any, handle: ChangeHandler, slack_sink: Any
) -> None:
    configure()

    assert handle(assume_root("ar-1", "222222222222"))["outcome"] == "posted"

    [message] = slack_sink.messages
    assert message["text"].startswith(f"{TITLE}222222222222:")
    assert "on account 222222222222, task policy" in change_line(message)


def test_the_app_in_no_organization_never_names_another_account(
    aws: None,
    configure: Any,
    handle: ChangeHandler,
    slack_sink: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its own account alone is trusted: ACCOUNT_NAMES cannot name a target elsewhere."""
    deployed_in(monkeypatch, MANAGEMENT)
    configure(ACCOUNT_NAMES=f"222222222222=Looks-Trusted,{MANAGEMENT}=Home")

    handle(assume_root("ar-1", "222222222222"))

    [message] = slack_sink.messages
    assert message["text"].startswith(f"{TITLE}222222222222:")
    assert "Looks-Trusted" not in rendered(message)
