"""GIVEN Organizations' answers as AWS gives them (pages of at most 20, an empty page that
still carries a NextToken, accounts with `State` and no retired `Status`, or only
`Status`) WHEN `deploy --org` reads the organization THEN every account is found with
its OU at any depth, `State` is preferred, and the targets resolve to the accounts
beneath them."""

from __future__ import annotations

from typing import Any

import pytest

from tools.mistakes import OperatorError
from tools.org_stackset import StackSetSpec
from tools.organization import checked_units, read_organization

ROOT = "r-ab12"
WORKLOADS = "ou-ab12-workload1"
PROD = "ou-ab12-prod0001"
SANDBOX = "ou-ab12-sandbox1"
MANAGEMENT = "111111111111"


def account(number: int, **state: str) -> dict[str, Any]:
    return {"Id": f"{number:012d}", "Name": f"account-{number}", **state}


class PagedOrganizations:
    """Organizations' read calls over a fixed tree, in pages of `size`, each page
    followed by an empty one that still carries a NextToken (AWS may do that)."""

    class exceptions:
        class AWSOrganizationsNotInUseException(Exception):
            pass

    def __init__(self, size: int = 20) -> None:
        self.size = size
        self.units = {ROOT: [WORKLOADS, SANDBOX], WORKLOADS: [PROD], PROD: [], SANDBOX: []}
        self.accounts: dict[str, list[dict[str, Any]]] = {
            ROOT: [account(int(MANAGEMENT), State="ACTIVE", Status="ACTIVE")],
            WORKLOADS: [account(n, State="ACTIVE") for n in range(200, 245)],
            PROD: [account(300, State="SUSPENDED", Status="ACTIVE"), account(301, Status="ACTIVE")],
            SANDBOX: [account(400, State="PENDING_CLOSURE")],
        }
        self.calls = 0

    def describe_organization(self) -> dict[str, Any]:
        return {"Organization": {"Id": "o-ab12cd34ef", "MasterAccountId": MANAGEMENT}}

    def list_roots(self, **kwargs: Any) -> dict[str, Any]:
        return {"Roots": [{"Id": ROOT, "Name": "Root"}]}

    def _page(self, items: list[Any], key: str, token: str | None) -> dict[str, Any]:
        self.calls += 1
        if token and token.startswith("empty-then-"):
            return {key: [], "NextToken": token.removeprefix("empty-then-")}
        start = int(token or 0)
        if start >= len(items):
            return {key: []}  # the last page
        return {
            key: items[start : start + self.size],
            "NextToken": f"empty-then-{start + self.size}",
        }

    def list_accounts_for_parent(self, ParentId: str, MaxResults: int, **kw: Any) -> Any:
        assert MaxResults <= 20
        return self._page(self.accounts[ParentId], "Accounts", kw.get("NextToken"))

    def list_organizational_units_for_parent(
        self,
        ParentId: str,
        MaxResults: int,
        **kw: Any,
    ) -> Any:
        units = [{"Id": unit, "Name": unit.rsplit("-", 1)[-1]} for unit in self.units[ParentId]]
        return self._page(units, "OrganizationalUnits", kw.get("NextToken"))


@pytest.fixture
def org() -> Any:
    return read_organization(PagedOrganizations())


def test_every_account_is_read_across_pages_and_empty_pages(org: Any) -> None:
    assert len(org.accounts) == 1 + 45 + 2 + 1
    assert {a.parent for a in org.accounts if a.id.startswith("0000000002")} == {WORKLOADS}


def test_state_is_preferred_and_status_is_only_a_fallback(org: Any) -> None:
    states = {a.id: a.state for a in org.accounts}
    assert states["000000000300"] == "SUSPENDED"  # State wins over a stale Status
    assert states["000000000301"] == "ACTIVE"  # only Status given
    assert states["000000000400"] == "PENDING_CLOSURE"


def test_an_ou_reaches_the_accounts_beneath_it_at_any_depth(org: Any) -> None:
    beneath = {a.id for a in org.accounts_in([WORKLOADS])}
    assert "000000000300" in beneath and "000000000245" not in beneath
    assert len(beneath) == 45 + 2
    assert {a.id for a in org.accounts_in([ROOT])} == {a.id for a in org.accounts}


def test_the_stack_set_expects_active_accounts_only_never_the_management_account(
    org: Any,
) -> None:
    spec = StackSetSpec("prod", "bus", (ROOT,), ("us-east-1", "eu-west-1"), "SELF")
    expected = spec.expected(org)
    accounts = {account for account, _ in expected}
    assert MANAGEMENT not in accounts
    assert "000000000300" not in accounts and "000000000400" not in accounts  # not ACTIVE
    assert "000000000301" in accounts
    assert len(expected) == (45 + 1) * 2
    excluded = StackSetSpec("prod", "bus", (ROOT,), ("us-east-1",), "SELF", ("000000000301",))
    assert "000000000301" not in {account for account, _ in excluded.expected(org)}
    assert excluded.targets()["AccountFilterType"] == "DIFFERENCE"


def test_unknown_ous_are_refused_naming_the_known_ones(org: Any) -> None:
    assert checked_units(org, None) == [ROOT]
    assert checked_units(org, [PROD, WORKLOADS]) == [PROD, WORKLOADS]
    with pytest.raises(OperatorError) as refused:
        checked_units(org, ["ou-ab12-nothere1", PROD])
    assert "ou-ab12-nothere1 not in organization o-ab12cd34ef" in refused.value.line()
    for unit in (WORKLOADS, PROD, SANDBOX, ROOT):
        assert unit in refused.value.line()
