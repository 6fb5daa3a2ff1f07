"""Whose sign-in is it: a pure decision, made once per event, from what the event says
(the sending account, the record's `recipientAccountId`), the organization and the
account the app runs in. Only a trusted account is named: an outsider's event never
carries a member's name, whatever its record claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from chalicelib.organization.roster import Roster, RosterStatus
from chalicelib.signin.origin import UNCHECKED, AccountOrigin, Origin
from chalicelib.signin.parse import SignIn


def origin_of(
    signin: SignIn, roster: Roster, *, home: str, names: Mapping[str, str]
) -> AccountOrigin:
    """`names`: ACCOUNT_NAMES, which overrides Organizations' name of a trusted account.

    - the record names another account than the bus that sent it: MISMATCH;
    - an organization is known: an ACTIVE member is MEMBER, anything else OUTSIDE;
    - the account is in no organization and the app's own account is known (Lambda's
      context): it alone is trusted (HOME), every other account OUTSIDE;
    - otherwise (Organizations not permitted, not answering, not read yet; a local
      run): UNCHECKED, named as before organizations. An organization the app may
      not read is no reason to call its members outsiders.
    """
    account_id = signin.account_id
    if signin.claimed_account:
        return AccountOrigin(Origin.MISMATCH)
    if roster.known:
        member = roster.active_member(account_id)
        if signin.sent_by and signin.sent_by != account_id:
            return AccountOrigin(Origin.MISMATCH)  # an envelope that names no account
        if member is None:
            return AccountOrigin(Origin.OUTSIDE)
        return AccountOrigin(Origin.MEMBER, names.get(account_id) or member.name, member.ou_path)
    if home and roster.status is RosterStatus.NOT_IN_ORGANIZATION:
        if account_id != home or (signin.sent_by and signin.sent_by != home):
            return AccountOrigin(Origin.OUTSIDE)
        return AccountOrigin(Origin.HOME, names.get(account_id, ""))
    return AccountOrigin(Origin.UNCHECKED, names.get(account_id, ""))


def target_origin(
    signin: SignIn, roster: Roster, *, home: str, names: Mapping[str, str]
) -> AccountOrigin:
    """The account a change acts on when it is not the record's own (AssumeRoot's member
    account), decided as `origin_of` decides the record's: named only when the event
    itself is trusted and the account is an ACTIVE member (ACCOUNT_NAMES first), the
    app's own account, or unchecked with an ACCOUNT_NAMES name. Never from the roster's
    copy of an account that left: an outsider is its id alone."""
    change = signin.change
    account_id = change.target_account if change is not None else ""
    if not account_id:
        return UNCHECKED
    if not signin.origin.origin.trusted:
        return AccountOrigin(Origin.OUTSIDE)  # an outsider's record names no member
    if roster.known:
        member = roster.active_member(account_id)
        if member is None:
            return AccountOrigin(Origin.OUTSIDE)
        return AccountOrigin(Origin.MEMBER, names.get(account_id) or member.name, member.ou_path)
    if home and roster.status is RosterStatus.NOT_IN_ORGANIZATION:
        if account_id != home:
            return AccountOrigin(Origin.OUTSIDE)
        return AccountOrigin(Origin.HOME, names.get(account_id, ""))
    return AccountOrigin(Origin.UNCHECKED, names.get(account_id, ""))


def placed(signin: SignIn, roster: Roster, *, home: str, names: Mapping[str, str]) -> SignIn:
    signin = replace(signin, origin=origin_of(signin, roster, home=home, names=names))
    if signin.change is None or not signin.change.target_account:
        return signin
    target = target_origin(signin, roster, home=home, names=names)
    change = replace(signin.change, target_name=target.name, target_ou_path=target.ou_path)
    return replace(signin, change=change)


def home_account(function_arn: str) -> str:
    """The account of `arn:aws:lambda:<region>:<account>:function:<name>`, else ""."""
    parts = function_arn.split(":")
    if len(parts) >= 5 and parts[0] == "arn" and parts[4].isdigit() and len(parts[4]) == 12:
        return parts[4]
    return ""
