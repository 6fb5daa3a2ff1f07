"""The organization as last read: every account with its name, state and OU path, and
whether Organizations could be read at all. A pure value with the lookups the rest of
the app needs: by id, by name (any case), under an OU path, by a routing glob."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

ACTIVE = "ACTIVE"
OU_PREFIX = "ou:"  # how a user or a setting names an OU path: `ou:Workloads/Payments`


class RosterStatus(StrEnum):
    """What the last read of Organizations found."""

    READ = "read"
    NOT_IN_ORGANIZATION = "not_in_organization"  # AWSOrganizationsNotInUseException
    NOT_PERMITTED = "not_permitted"  # AccessDenied: not the management account or admin
    FAILED = "failed"  # throttled, unreachable, out of time: tried again later
    NEVER_READ = "never_read"

    @property
    def reason(self) -> str:
        return _REASONS[self]


_REASONS = {
    RosterStatus.READ: "read",
    RosterStatus.NOT_IN_ORGANIZATION: (
        "this account is not in an AWS Organization: only its own sign-ins are trusted"
    ),
    RosterStatus.NOT_PERMITTED: (
        "Organizations cannot be read from this account (run in the management account "
        "or a delegated administrator, with organizations:ListAccounts): account names "
        "come from ACCOUNT_NAMES only"
    ),
    RosterStatus.FAILED: "Organizations did not answer; tried again later",
    RosterStatus.NEVER_READ: "Organizations not read yet",
}


@dataclass(frozen=True)
class MemberAccount:
    account_id: str
    name: str
    state: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION
    ou_path: str = ""  # OU names from the root down, `/`-joined; "" under the root

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    def under(self, path: str) -> bool:
        """In the OU `path` or any OU below it (names compared in any case)."""
        wanted = path.strip("/").lower()
        mine = self.ou_path.lower()
        return bool(wanted) and (mine == wanted or mine.startswith(wanted + "/"))


@dataclass(frozen=True)
class Roster:
    status: RosterStatus = RosterStatus.NEVER_READ
    read_at: float = 0.0  # epoch seconds of the read (or of the failed attempt)
    organization_id: str = ""
    management_account: str = ""
    accounts: tuple[MemberAccount, ...] = ()
    _by_id: Mapping[str, MemberAccount] = field(
        default_factory=dict, compare=False, repr=False, init=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {a.account_id: a for a in self.accounts})

    @property
    def known(self) -> bool:
        """An organization was read: membership means something."""
        return self.status is RosterStatus.READ

    def account(self, account_id: str) -> MemberAccount | None:
        return self._by_id.get(account_id)

    def active_member(self, account_id: str) -> MemberAccount | None:
        account = self._by_id.get(account_id)
        return account if account is not None and account.active else None

    def names(self) -> dict[str, str]:
        """Active members' names by id: what listings and the digest call them."""
        return {a.account_id: a.name for a in self.accounts if a.active and a.name}

    def named(self, name: str) -> MemberAccount | None:
        wanted = name.lower()
        for account in self.accounts:
            if account.active and account.name.lower() == wanted:
                return account
        return None

    def under(self, path: str) -> tuple[MemberAccount, ...]:
        return tuple(a for a in self.accounts if a.active and a.under(path))
