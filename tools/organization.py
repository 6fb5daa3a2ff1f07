"""The organization as `deploy --org` sees it: its root, OUs and accounts, read once.

Only the management account or a delegated administrator may read it. `Account.State`
is read in preference to the retired `Status` (either may be all there is). Pages are
followed while a `NextToken` comes, even after an empty page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tools.mistakes import Mistake, OperatorError

ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class OrgAccount:
    id: str
    name: str
    state: str
    parent: str  # the root or OU it sits in

    @property
    def active(self) -> bool:
        return self.state == ACTIVE


@dataclass
class Organization:
    id: str
    management_account: str
    root: str
    accounts: list[OrgAccount] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)  # OU id -> its parent's id
    ou_names: dict[str, str] = field(default_factory=dict)

    def known(self, unit: str) -> bool:
        return unit == self.root or unit in self.parents

    def under(self, unit: str, parent: str) -> bool:
        """Whether `unit` (an OU or the root) is `parent` or anywhere beneath it."""
        while True:
            if unit == parent:
                return True
            if unit not in self.parents:
                return False
            unit = self.parents[unit]

    def accounts_in(self, units: list[str]) -> list[OrgAccount]:
        """Accounts beneath any of `units`, at any depth, in id order."""
        return sorted(
            (a for a in self.accounts if any(self.under(a.parent, unit) for unit in units)),
            key=lambda account: account.id,
        )


def _pages(call: Any, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def read_organization(organizations: Any) -> Organization:
    """Root, every OU (walked from the root) and every account with its parent."""
    try:
        described = organizations.describe_organization()["Organization"]
        [root] = list(_pages(organizations.list_roots, "Roots"))
    except organizations.exceptions.AWSOrganizationsNotInUseException:
        raise OperatorError(
            Mistake.NOT_ALLOWED,
            "this account is in no organization",
            "run deploy --org from the management account or a delegated administrator",
        ) from None
    org = Organization(described["Id"], described["MasterAccountId"], root["Id"])
    pending = [root["Id"]]
    while pending:
        parent = pending.pop()
        for account in _pages(
            organizations.list_accounts_for_parent, "Accounts", ParentId=parent, MaxResults=20
        ):
            state = account.get("State") or account.get("Status") or ""
            org.accounts.append(OrgAccount(account["Id"], account.get("Name", ""), state, parent))
        for unit in _pages(
            organizations.list_organizational_units_for_parent,
            "OrganizationalUnits",
            ParentId=parent,
            MaxResults=20,
        ):
            org.parents[unit["Id"]] = parent
            org.ou_names[unit["Id"]] = unit.get("Name", "")
            pending.append(unit["Id"])
    org.accounts.sort(key=lambda account: account.id)
    return org


def checked_units(org: Organization, units: list[str] | None) -> list[str]:
    """The OUs the operator named (all known), or the root."""
    if not units:
        return [org.root]
    unknown = [unit for unit in units if not org.known(unit)]
    if unknown:
        known = ", ".join(f"{unit} ({name})" for unit, name in sorted(org.ou_names.items()))
        raise OperatorError(
            Mistake.BAD_VALUE,
            f"--org-units: {', '.join(unknown)} not in organization {org.id}",
            f"give OU ids (ou-...) or the root ({org.root}); the OUs are: {known or 'none'}",
        )
    return sorted(set(units))
