"""What a record says about a second factor, as a value (`Mfa`, with where it was read
from), and whether the sign-in went through a federation (SAML, Identity Center), whose
MFA CloudTrail cannot see. Read once by `parse.py`; every message says it through
`words.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Identity Center credential types that are a second factor by themselves.
MFA_CREDENTIAL_TYPES = frozenset({"TOTP", "SMARTCARD", "WEBAUTHN", "FIDO", "SMS", "EMAIL_OTP"})


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


def _field(block: Mapping[str, Any], name: str) -> str:
    value = block.get(name)
    return "" if value is None or isinstance(value, (Mapping, list)) else str(value).strip()


def _block(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def mfa_fact(
    extra: Mapping[str, Any],
    details: Mapping[str, Any],
    identity: Mapping[str, Any],
    federation: Federation,
    password_failed: bool,
) -> MfaFact:
    """MFA as the record states it, strongest evidence first. An explicit `MFAUsed`
    wins; a named MFA type or device says yes; a SAML or Identity Center session's
    `MFAUsed: No` only means CloudTrail cannot see the identity provider's MFA."""
    used = _field(extra, "MFAUsed").lower()
    mfa_type = _field(extra, "MfaType") or _field(details, "MfaType")
    identifier = _field(extra, "MFAIdentifier")
    device = mfa_type or identifier
    if used in {"yes", "true"}:
        return MfaFact(Mfa.YES, device, "MFAUsed")
    if used not in {"no", "false"} and device:
        return MfaFact(Mfa.YES, device, "MfaType" if mfa_type else "MFAIdentifier")
    credential_types = {
        part.strip().upper() for part in _field(extra, "CredentialType").split(",") if part
    }
    if credential_types & MFA_CREDENTIAL_TYPES:
        return MfaFact(Mfa.YES, ",".join(sorted(credential_types)), "CredentialType")
    session = _block(_block(identity.get("sessionContext")).get("attributes"))
    authenticated = _field(session, "mfaAuthenticated").lower()
    if authenticated == "true":
        return MfaFact(Mfa.YES, device, "mfaAuthenticated")
    if federation is Federation.SAML:
        return MfaFact(Mfa.IDENTITY_PROVIDER, "", "SAML")
    if federation is Federation.IDENTITY_CENTER:
        return MfaFact(Mfa.IDENTITY_PROVIDER, "", "Identity Center")
    if used in {"no", "false"}:
        return MfaFact(Mfa.NOT_REACHED if password_failed else Mfa.NO, "", "MFAUsed")
    if authenticated == "false":
        return MfaFact(Mfa.NO, "", "mfaAuthenticated")
    return MfaFact(Mfa.NOT_RECORDED)
