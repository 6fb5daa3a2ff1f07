"""Where a sign-in comes from, as the app trusts it: decided once per event (by
`organization/trust.py`) and carried on the `SignIn`, so every message, rule and route
reads the same value and nothing is matched from text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Origin(StrEnum):
    """Whether the account a sign-in names is one the app may name and route."""

    UNCHECKED = "unchecked"  # no organization known and the app's own account unknown
    HOME = "home"  # the account the app runs in (no organization known)
    MEMBER = "member"  # an active member of the organization, sender and record agree
    OUTSIDE = "outside"  # sent by an account that is not an active member
    MISMATCH = "mismatch"  # the record's recipientAccountId is not the sending account

    @property
    def trusted(self) -> bool:
        return self in _TRUSTED


_TRUSTED = frozenset({Origin.UNCHECKED, Origin.HOME, Origin.MEMBER})


@dataclass(frozen=True)
class AccountOrigin:
    """The trust decision and, for a trusted account, its name and OU path (`Workloads/
    Payments`, empty for the root or when unknown). An untrusted one carries no name."""

    origin: Origin = Origin.UNCHECKED
    name: str = ""
    ou_path: str = ""


UNCHECKED = AccountOrigin()  # what parse gives, before the trust check
