"""Reads the organization from AWS Organizations: `DescribeOrganization`, every page of
`ListAccounts` (at most 20 a page: paging goes on while a `NextToken` comes, even after
an empty page), and each account's OU path, from `Account.Paths` where AWS fills it,
else by walking `ListParents` up to the root; each OU's name is asked once per read
(`DescribeOrganizationalUnit`). Organizations is a global service: its client is
us-east-1's. Never raises: what it cannot read is a `RosterStatus`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.organization.roster import MemberAccount, Roster, RosterStatus

log = logging.getLogger(__name__)

ORGANIZATIONS_REGION = "us-east-1"
PAGE_SIZE = 20  # ListAccounts' largest MaxResults
MAX_PAGES = 1_000  # 20,000 accounts: a loop bound, far past Organizations' quotas
MAX_DEPTH = 6  # OUs nest at most five deep under the root

# A read in a sign-in's invocation may use at most this share of the time it has left:
# the rest is the sign-in's (its commit, Slack's retries). A read cut short is FAILED:
# the names known stay, and it is tried again later.
TIME_SHARE = 0.5

_NOT_IN_USE = frozenset({"AWSOrganizationsNotInUseException"})
_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "AccessDeniedForDependencyException"})


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class OutOfTime(RuntimeError):
    """The read would take more than its share of the invocation's time."""


class _Timed:
    """The client, refusing to start a call once the read's share of time is spent."""

    def __init__(self, client: Any, time_left: Callable[[], float | None]) -> None:
        self._client = client
        self._time_left = time_left
        started = time_left()
        self._floor = None if started is None else started * (1 - TIME_SHARE)

    def __getattr__(self, operation: str) -> Any:
        def call(**arguments: Any) -> Any:
            left = self._time_left()
            if self._floor is not None and left is not None and left < self._floor:
                raise OutOfTime(f"{operation}: {left:.1f} s left, kept for the sign-in")
            return getattr(self._client, operation)(**arguments)

        return call


class OrganizationReader:
    def __init__(
        self, client: Any, *, time_left: Callable[[], float | None] = lambda: None
    ) -> None:
        self._raw = client
        self._time_left = time_left  # the invocation's time left (None: no deadline)

    def read(self, *, now: float) -> Roster:
        client = _Timed(self._raw, self._time_left)
        try:
            organization = client.describe_organization()["Organization"]
            accounts = _accounts(client)
        except Exception as error:  # botocore's errors, a deadline: a status, never a raise
            code = error_code(error)
            if code in _NOT_IN_USE:
                return Roster(RosterStatus.NOT_IN_ORGANIZATION, now)
            if code in _DENIED:
                return Roster(RosterStatus.NOT_PERMITTED, now)
            log.warning("organization not read: %s %s", type(error).__name__, code)
            return Roster(RosterStatus.FAILED, now)
        return Roster(
            RosterStatus.READ,
            now,
            organization_id=str(organization.get("Id", "")),
            management_account=str(organization.get("MasterAccountId", "")),
            accounts=accounts,
        )


def _accounts(client: Any) -> tuple[MemberAccount, ...]:
    paths = _OuPaths(client)
    found: list[MemberAccount] = []
    arguments: dict[str, Any] = {"MaxResults": PAGE_SIZE}
    for _ in range(MAX_PAGES):
        page = client.list_accounts(**arguments)
        for account in page.get("Accounts", []):
            account_id = str(account.get("Id", ""))
            if not account_id:
                continue
            # `Status` was retired in 2026: `State` first, `Status` where only it is.
            state = str(account.get("State") or account.get("Status") or "")
            found.append(
                MemberAccount(
                    account_id,
                    str(account.get("Name", "")),
                    state.upper(),
                    paths.of(account_id, account.get("Paths") or ()),
                )
            )
        token = page.get("NextToken")
        if not token:
            return tuple(found)
        arguments["NextToken"] = token
    raise RuntimeError(f"ListAccounts: still paging after {MAX_PAGES} pages")


class _OuPaths:
    """OU paths by name (`Workloads/Payments`), each OU's name and parent read once."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._names: dict[str, str] = {}
        self._parents: dict[str, tuple[str, str]] = {}  # child -> (parent id, type)

    def of(self, account_id: str, listed_paths: Any) -> str:
        for path in listed_paths:  # `o-x/r-x/ou-a/ou-b/<account>/`
            listed = [part for part in str(path).split("/") if part.startswith("ou-")]
            return "/".join(self._name(unit) for unit in listed)
        units: list[str] = []
        child = account_id
        for _ in range(MAX_DEPTH):
            parent, kind = self._parent(child)
            if kind != "ORGANIZATIONAL_UNIT":
                break
            units.append(parent)
            child = parent
        return "/".join(self._name(unit) for unit in reversed(units))

    def _parent(self, child: str) -> tuple[str, str]:
        if child not in self._parents:
            parents = self._client.list_parents(ChildId=child).get("Parents", [])
            first = parents[0] if parents else {}
            self._parents[child] = (str(first.get("Id", "")), str(first.get("Type", "")))
        return self._parents[child]

    def _name(self, unit: str) -> str:
        if unit not in self._names:
            described = self._client.describe_organizational_unit(OrganizationalUnitId=unit)
            self._names[unit] = str(described["OrganizationalUnit"].get("Name", unit))
        return self._names[unit]
