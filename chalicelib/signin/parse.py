"""The sign-in event model: any console sign-in record in, one typed value out.

CloudTrail sign-in records come in many shapes (null blocks, missing ARNs, `Yes`/`YES`/
`No`, Identity Center outcomes in `serviceEventDetails`, text that is not valid
Unicode). `parse_signin` never raises: whatever it cannot read it records in
`SignIn.problems`, so a malformed event still alerts and the problem is logged and
counted.

Each fact is what the record says: the principal's kind from `userIdentity.type` or,
failing that, its ARN or `onBehalfOf` (`principal.py`); the service from `LoginTo` and
the event (`service.py`); Identity Center or SAML only when the record names them; and
a record without `eventTime` is marked `time_recorded=False`, never given its arrival
as its time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.signin.change import AccountChange, Actor, read_change
from chalicelib.signin.mfa import Federation as Federation
from chalicelib.signin.mfa import Mfa as Mfa
from chalicelib.signin.mfa import mfa_fact
from chalicelib.signin.origin import UNCHECKED, AccountOrigin
from chalicelib.signin.principal import (
    SSO_ROLE_PATH,
    SSO_ROLE_PREFIX,
    KindEvidence,
    kind_from_arn,
    principal_kind,
)
from chalicelib.signin.principal import PrincipalType as PrincipalType
from chalicelib.signin.service import Service, SignInTarget, service_of
from chalicelib.signin.text import clean_event
from chalicelib.signin.times import parse_time

HIDDEN_USER = "HIDDEN_DUE_TO_SECURITY_REASONS"
# Longest text kept from any field (CloudTrail's userAgent is at most 1 KB).
MAX_TEXT = 1024
# Real eventIDs are UUIDs; a longer one is hashed so it can still be a DynamoDB key.
MAX_EVENT_ID = 128
UNKNOWN_USER = "unknown user"
UNKNOWN_EVENT = "unknown"  # the event name of a record that has none


class Result(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class NameStatus(StrEnum):
    """Whether the record names the principal. `HIDDEN`: AWS wrote
    `HIDDEN_DUE_TO_SECURITY_REASONS` because the name typed is not a user of that
    account; every message says "unknown user". `NOT_RECORDED`: the record has no name
    at all ("name not recorded")."""

    RECORDED = "recorded"
    NOT_RECORDED = "not_recorded"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class SignIn:
    event_id: str
    event_time: datetime
    event_name: str
    account_id: str
    region: str
    principal_type: PrincipalType
    display_name: str
    arn: str
    principal_id: str
    role_name: str
    source_ip: str
    user_agent: str
    outcome: Result
    failure_reason: str
    mfa: Mfa
    mfa_type: str
    federation: Federation
    saml_provider: str
    login_url: str
    problems: tuple[str, ...] = ()
    # Which field of the record the MFA fact comes from ("MFAUsed", "MfaType", ...).
    mfa_source: str = ""
    # Whether `display_name` is a name the record gave (else it is `UNKNOWN_USER`).
    name_status: NameStatus = NameStatus.RECORDED
    # The MFA device's ARN (`MFAIdentifier`), when the record names it.
    mfa_device: str = ""
    # False when the record has no readable `eventTime`: `event_time` is then when it
    # was received (the envelope's time, else the arrival), kept only to order it;
    # every message says "time not recorded (received HH:MM)".
    time_recorded: bool = True
    # What in the record names the principal's kind (`principal.KindEvidence`).
    kind_evidence: KindEvidence = KindEvidence.TYPE
    # What an account-change record changed (signin/change.py); None for a sign-in.
    change: AccountChange | None = None

    @property
    def service(self) -> SignInTarget:
        """The service signed in to, from `LoginTo` and the event."""
        return service_of(self.event_name, self.login_url)

    # The EventBridge envelope's `account` (the account whose bus sent it; "" for a bare
    # record), and the record's `recipientAccountId` when it names another account:
    # then `account_id` is the sender's, the one fact EventBridge vouches for.
    sent_by: str = ""
    claimed_account: str = ""
    # Trust, name and OU path of `account_id` (organization/trust.py), set once.
    origin: AccountOrigin = UNCHECKED

    @property
    def is_root(self) -> bool:
        return self.principal_type is PrincipalType.ROOT

    @property
    def principal_key(self) -> str:
        """A stable name for the principal: its ARN, or account/name when there is none.
        An IAM user's is built from account and name (names are unique in an account,
        whatever the path): a failed sign-in's record has no ARN, and it is still the
        same person as the success."""
        if self.principal_type is PrincipalType.IAM_USER and (
            self.name_status is NameStatus.RECORDED and self.account_id != "unknown"
        ):
            partition = self.arn.split(":")[1] if self.arn.startswith("arn:") else "aws"
            return f"arn:{partition}:iam::{self.account_id}:user/{self.display_name}"
        return self.arn or f"{self.account_id}/{self.display_name}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    """Any JSON value as a stripped string, at most MAX_TEXT characters; containers and
    null become empty. The cap keeps a hostile field from outgrowing a ledger item."""
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    return str(value).strip()[:MAX_TEXT]


def _is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


def _is_envelope(event: Mapping[str, Any]) -> bool:
    return isinstance(event.get("detail"), Mapping) and "eventName" not in event


def fingerprint(record: Mapping[str, Any]) -> str:
    """A deterministic id for a record that lacks an eventID, so retries still dedupe."""
    canonical = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _outcome(record: Mapping[str, Any], event_name: str) -> Result:
    for block in ("responseElements", "serviceEventDetails"):
        value = _text(_mapping(record.get(block)).get(event_name)).lower()
        if value == "success":
            return Result.SUCCESS
        if value in {"failure", "failed"}:
            return Result.FAILURE
    if _text(record.get("errorMessage")) or _text(record.get("errorCode")):
        return Result.FAILURE
    return Result.UNKNOWN


def _arn_tail(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else ""


@dataclass(frozen=True)
class Names:
    display: str  # UNKNOWN_USER when `status` is not RECORDED
    role: str
    status: NameStatus


def _names(
    kind: PrincipalType, identity: Mapping[str, Any], extra: Mapping[str, Any], arn: str
) -> Names:
    """The principal's display name, its role name, and whether the record names it."""
    user_name = _text(identity.get("userName"))
    if user_name == HIDDEN_USER:
        return Names(UNKNOWN_USER, "", NameStatus.HIDDEN)
    if kind is PrincipalType.ROOT:
        return Names("root", "", NameStatus.RECORDED)
    role = ""
    if kind is PrincipalType.ASSUMED_ROLE:
        issuer = _mapping(_mapping(identity.get("sessionContext")).get("sessionIssuer"))
        role = _text(issuer.get("userName"))
        if not role and ":assumed-role/" in arn:
            role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        name = _arn_tail(arn) or user_name or role
    else:
        name = (
            user_name
            or _text(extra.get("UserName"))
            or _arn_tail(arn)
            or _text(_mapping(identity.get("onBehalfOf")).get("userId"))
        )
    if not name:
        return Names(UNKNOWN_USER, role, NameStatus.NOT_RECORDED)
    return Names(name, role, NameStatus.RECORDED)


def _federation(
    kind: PrincipalType, target: SignInTarget, extra: Mapping[str, Any], arn: str, role: str
) -> Federation:
    """SAML or Identity Center only when the record says so: a SAML provider; an
    Identity Center user; an Identity Center permission-set role; a sign-in to the
    access portal (Identity Center's). The event name alone says nothing: WorkSpaces
    and others sign people in with `UserAuthentication` too."""
    if _text(extra.get("SamlProviderArn")):
        return Federation.SAML
    if (
        kind is PrincipalType.IDENTITY_CENTER_USER
        or role.startswith(SSO_ROLE_PREFIX)
        or SSO_ROLE_PATH in arn
        or kind_from_arn(arn).evidence is KindEvidence.ARN_SSO_ROLE
        or target.service is Service.ACCESS_PORTAL
    ):
        return Federation.IDENTITY_CENTER
    return Federation.NONE


def parse_signin(event: Mapping[str, Any], *, received_at: datetime) -> SignIn:
    """Parse a bare CloudTrail record or an EventBridge envelope. Never raises."""
    # Text that is not valid Unicode is replaced here, once, so that the log line, the
    # ledger and Slack all get valid UTF-8 (signin/text.py).
    clean = clean_event(event)
    event = clean.event
    problems: list[str] = list(clean.problems)
    if not isinstance(event, Mapping):
        problems.append(f"event is a {type(event).__name__}, not an object")
        event = {}
    envelope: Mapping[str, Any] = event if _is_envelope(event) else {}
    record = _mapping(envelope.get("detail")) if envelope else event
    identity = _mapping(record.get("userIdentity"))
    extra = _mapping(record.get("additionalEventData"))

    event_id = _text(record.get("eventID")) or _text(envelope.get("id"))
    if not event_id:
        problems.append("no eventID")
        event_id = fingerprint(event)
    elif len(event_id) > MAX_EVENT_ID:
        problems.append(f"eventID longer than {MAX_EVENT_ID} characters")
        event_id = fingerprint({"eventID": event_id})

    raw_time = _text(record.get("eventTime"))
    event_time = parse_time(raw_time)
    if event_time is None:
        problems.append(f"unreadable eventTime {raw_time[:40]!r}" if raw_time else "no eventTime")

    event_name = _text(record.get("eventName"))
    if not event_name:
        problems.append("no eventName")

    kind_fact = principal_kind(identity)
    kind = kind_fact.kind
    arn = _text(identity.get("arn"))
    names = _names(kind, identity, extra, arn)
    target = service_of(event_name, _text(extra.get("LoginTo")))
    federation = _federation(kind, target, extra, arn, names.role)
    outcome = _outcome(record, event_name)
    password_failed = (
        outcome is Result.FAILURE
        and event_name == "ConsoleLogin"
        and kind is not PrincipalType.ROOT
    )
    mfa = mfa_fact(
        extra, _mapping(record.get("serviceEventDetails")), identity, federation, password_failed
    )

    sent_by = _text(envelope.get("account"))
    recipient = _text(record.get("recipientAccountId"))
    account_id = recipient or _text(identity.get("accountId")) or sent_by or "unknown"
    claimed = ""
    # Judged only between two account ids: EventBridge always writes one, so anything
    # else in the envelope (a replay's, a test's) names no sender.
    if _is_account_id(sent_by) and _is_account_id(recipient) and sent_by != recipient:
        problems.append("recipientAccountId differs from the sending account")
        account_id, claimed = sent_by, recipient
    signin = SignIn(
        event_id=event_id,
        # Not the sign-in's time: when it was received, to order it (`time_recorded`).
        event_time=event_time or parse_time(_text(envelope.get("time"))) or received_at,
        event_name=event_name or UNKNOWN_EVENT,
        account_id=account_id,
        region=_text(record.get("awsRegion")) or _text(envelope.get("region")) or "unknown",
        principal_type=kind,
        display_name=names.display,
        arn=arn,
        principal_id=_text(identity.get("principalId")),
        role_name=names.role,
        source_ip=_text(record.get("sourceIPAddress")) or "unknown",
        user_agent=_text(record.get("userAgent")),
        outcome=outcome,
        failure_reason=_text(record.get("errorMessage")),
        mfa=mfa.state,
        mfa_type=mfa.detail,
        federation=federation,
        saml_provider=_text(extra.get("SamlProviderArn")),
        login_url=_text(extra.get("LoginTo")),
        problems=tuple(problems),
        mfa_source=mfa.source,
        name_status=names.status,
        mfa_device=_text(extra.get("MFAIdentifier")),
        time_recorded=event_time is not None,
        kind_evidence=kind_fact.evidence,
        sent_by=sent_by,
        claimed_account=claimed,
    )
    iam_user = kind is PrincipalType.IAM_USER and names.status is NameStatus.RECORDED
    raw_type = _text(identity.get("type"))
    actor = Actor(signin.account_id, signin.principal_key, signin.is_root, iam_user, raw_type)
    change = read_change(record, actor)
    if change is None:
        return signin
    # An API call's record says errorCode when it failed: without one it succeeded.
    result = Result.SUCCESS if outcome is Result.UNKNOWN else outcome
    return replace(signin, change=change, outcome=result)
