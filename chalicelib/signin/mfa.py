"""What a record says about a second factor, as a value (`Mfa`, with where it was read
from), and whether the sign-in went through a federation (SAML, Identity Center), whose
MFA CloudTrail cannot see. Read once by `parse.py`; every message says it through
`words.py`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Federation(StrEnum):
    NONE = "none"
    SAML = "saml"
    IDENTITY_CENTER = "identity_center"


class Mfa(StrEnum):
    """What the record says about a second factor. Only `NO` means "without MFA"."""

    YES = "yes"
    NO = "no"  # the record says so: MFAUsed No, or a session not MFA-authenticated
    IDENTITY_PROVIDER = "identity_provider"  # SAML / Identity Center: the IdP's MFA is unseen
    NOT_RECORDED = "unknown"  # the record says nothing either way
    UNKNOWN = "unknown"  # the former name of NOT_RECORDED (same value, an alias)
    # A failed sign-in whose record says `MFAUsed: No`: the password step failed, so
    # MFA was never asked for (not "without MFA"). Root's failure keeps `NO`: after its
    # CheckMfa, a wrong MFA code also fails with `MFAUsed: No`.
    NOT_REACHED = "not_reached"

    @classmethod
    def of_ledger(cls, value: str, federation: str) -> Mfa:
        """A ledger item's MFA, including items written before `IDENTITY_PROVIDER`
        existed (federated sessions were stored as "no")."""
        try:
            mfa = cls(value)
        except ValueError:
            return cls.NOT_RECORDED
        if federation in (Federation.SAML, Federation.IDENTITY_CENTER) and mfa is not cls.YES:
            return cls.IDENTITY_PROVIDER
        return mfa


@dataclass(frozen=True)
class MfaFact:
    state: Mfa
    detail: str = ""  # the type or device when the record names one: "TOTP", an MFA ARN
    source: str = ""  # the field it was read from
