"""The words every message uses for a sign-in's MFA and its principal, and why a
principal has no name.

Alerts, bursts, the digest and `/recent-logins` all say these the same way, so a
sign-in never reads "MFA no" in one place and "MFA at the identity provider" in another.
The MFA words always start with `yes`, `no` or `unknown` (the keywords the alert text
promises); what follows says where the fact came from.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.signin.parse import (
    UNKNOWN_USER,
    Federation,
    Mfa,
    NameStatus,
    PrincipalType,
    SignIn,
)

AT_IDENTITY_PROVIDER = "at the identity provider"
# An Identity Center session's MFA: the record says Identity Center, never which
# identity provider (if any) stands behind it.
AT_IDENTITY_CENTER = "at Identity Center"
NOT_RECORDED = "not recorded"
PASSWORD_FAILED = "the password failed"
NAME_NOT_RECORDED = "(name not recorded)"
# Why a hidden name reads "unknown user": the detail line of alerts and listings.
_NAME_DETAIL = {NameStatus.HIDDEN: "name hidden by AWS: not a user of this account"}

_KEYWORD = {
    Mfa.YES: "yes",
    Mfa.NO: "no",
    Mfa.IDENTITY_PROVIDER: "unknown",
    Mfa.NOT_RECORDED: "unknown",
    Mfa.NOT_REACHED: "unknown",
}


def mfa_keyword(mfa: Mfa) -> str:
    """`yes`, `no` or `unknown`: the word the README promises in the alert text."""
    return _KEYWORD[mfa]


def mfa_words(mfa: Mfa, detail: str = "", federation: Federation | str = "") -> str:
    """`yes (TOTP)`, `no`, `unknown (at the identity provider)` (SAML), `unknown (at
    Identity Center)`, `unknown (not recorded)`, `not reached (the password failed)`:
    what a field or a listing line says."""
    if mfa is Mfa.NOT_REACHED:
        return f"not reached ({PASSWORD_FAILED})"
    return mfa_text_words(mfa, detail, federation)


def mfa_place(federation: Federation | str) -> str:
    """Where a federated session's MFA happened, as the record says it."""
    if str(federation) == Federation.IDENTITY_CENTER.value:
        return AT_IDENTITY_CENTER
    return AT_IDENTITY_PROVIDER


def mfa_text_words(mfa: Mfa, detail: str = "", federation: Federation | str = "") -> str:
    """The same, led by the keyword the alert text promises (`yes`, `no`, `unknown`):
    `unknown (not reached: the password failed)`."""
    if mfa is Mfa.NOT_REACHED:
        return f"unknown (not reached: {PASSWORD_FAILED})"
    if mfa is Mfa.YES:
        return f"yes ({detail})" if detail else "yes"
    if mfa is Mfa.NO:
        return "no"
    if mfa is Mfa.IDENTITY_PROVIDER:
        return f"unknown ({mfa_place(federation)})"
    return f"unknown ({NOT_RECORDED})"


_VIA = {
    Federation.SAML.value: " via SAML",
    Federation.IDENTITY_CENTER.value: " via Identity Center",
}


def _as_is(text: str) -> str:
    return text


def principal_words(
    kind: PrincipalType | str,
    name: str,
    role: str = "",
    federation: Federation | str = Federation.NONE,
    *,
    show: Callable[[str], str] = _as_is,
    name_status: NameStatus | str = NameStatus.RECORDED,
) -> str:
    """The principal with its kind always named: `root user`, `IAM user root`,
    `role Admin via Identity Center, session alice@example.com`. Each kind has its own
    leading words, so no user name can make one kind read like another. `show` renders
    the names (which whoever signs in chooses), e.g. as a code span.

    A name AWS hid (`name_status` HIDDEN: not a user of that account) is `unknown
    user`, whatever kind the record claims; a record with no name at all says
    `(name not recorded)` after its kind."""
    try:
        kind = PrincipalType(kind)
    except ValueError:
        kind = PrincipalType.UNKNOWN
    try:
        status = NameStatus(name_status)
    except ValueError:
        status = NameStatus.RECORDED
    if kind is PrincipalType.ROOT:
        return "root user"
    if status is NameStatus.HIDDEN:
        return UNKNOWN_USER
    unnamed = status is NameStatus.NOT_RECORDED or not name
    who = NAME_NOT_RECORDED if unnamed else show(name)
    via = _VIA.get(str(federation), "")
    if kind is PrincipalType.IAM_USER:
        return f"IAM user {who}{via}"
    if kind is PrincipalType.ASSUMED_ROLE:
        role_words = f"role {show(role)}{via}" if role else f"a role{via}"
        if unnamed or name == role:
            return role_words
        return f"{role_words}, session {who}"
    if kind is PrincipalType.IDENTITY_CENTER_USER:
        return f"Identity Center user {who}"
    if kind is PrincipalType.FEDERATED_USER:
        return f"federated user {who}{via}"
    return f"principal of unknown type {who}{via}"


def name_detail(name_status: NameStatus | str) -> str:
    """Why the principal reads as it does, for the detail line: `name hidden by AWS:
    not a user of this account`; empty when the record names it."""
    try:
        return _NAME_DETAIL.get(NameStatus(name_status), "")
    except ValueError:
        return ""


def signin_principal(signin: SignIn, *, show: Callable[[str], str] = _as_is) -> str:
    """`principal_words` of a sign-in: what every message calls its principal."""
    return principal_words(
        signin.principal_type,
        signin.display_name,
        signin.role_name,
        signin.federation,
        show=show,
        name_status=signin.name_status,
    )
