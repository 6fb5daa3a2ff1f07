"""What an account-change record changed: a typed value beside the sign-in's.

`read_change` reads a declared event (change_events.py) into an `AccountChange`: its
kind, whose sign-in it changes (the target, with the same principal key a sign-in of
theirs has), and whether the caller changed their own. Never raises: a field it cannot
read is left empty, and an event that is not declared (or a root-only one called by
someone else) is no change at all.

"Their own" is decided by the principal, never by a name the caller chose: an IAM user
or the root user acting on itself is; a role session whose session name equals the
target user's name is not (anyone who may assume the role picks that name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.signin.change_events import declared

ROOT_MFA_DEVICE = "root-account-mfa-device"  # the name AWS gives root's virtual device
MAX_CHANGE_TEXT = 256


class ChangeKind(StrEnum):
    CONSOLE_PASSWORD_CREATED = "console_password_created"
    CONSOLE_PASSWORD_RESET = "console_password_reset"
    PASSWORD_CHANGED = "password_changed"  # by its own user (ChangePassword, PasswordUpdated)
    EMAIL_CHANGED = "email_changed"
    MFA_DEACTIVATED = "mfa_deactivated"
    MFA_DELETED = "mfa_deleted"
    MFA_ENABLED = "mfa_enabled"
    ACCESS_KEY_CREATED = "access_key_created"
    ACCESS_KEY_UPDATED = "access_key_updated"
    ACCESS_KEY_DELETED = "access_key_deleted"
    ROOT_SESSION = "root_session"  # sts:AssumeRoot
    FEDERATION_TOKEN = "federation_token"
    CONSOLE_FROM_KEYS = "console_from_keys"  # GetSigninToken of a federated user


_KINDS = {
    "CreateLoginProfile": ChangeKind.CONSOLE_PASSWORD_CREATED,
    "UpdateLoginProfile": ChangeKind.CONSOLE_PASSWORD_RESET,
    "ChangePassword": ChangeKind.PASSWORD_CHANGED,
    "PasswordUpdated": ChangeKind.PASSWORD_CHANGED,
    "EmailUpdated": ChangeKind.EMAIL_CHANGED,
    "DeactivateMFADevice": ChangeKind.MFA_DEACTIVATED,
    "DeleteVirtualMFADevice": ChangeKind.MFA_DELETED,
    "EnableMFADevice": ChangeKind.MFA_ENABLED,
    "CreateAccessKey": ChangeKind.ACCESS_KEY_CREATED,
    "UpdateAccessKey": ChangeKind.ACCESS_KEY_UPDATED,
    "DeleteAccessKey": ChangeKind.ACCESS_KEY_DELETED,
    "AssumeRoot": ChangeKind.ROOT_SESSION,
    "GetFederationToken": ChangeKind.FEDERATION_TOKEN,
    "GetSigninToken": ChangeKind.CONSOLE_FROM_KEYS,
}
# Changes that take a way in from its owner or give one to someone else: a console
# sign-in of their target soon after is what a takeover looks like.
TAKEOVER_STEPS = frozenset(
    {
        ChangeKind.CONSOLE_PASSWORD_CREATED,
        ChangeKind.CONSOLE_PASSWORD_RESET,
        ChangeKind.MFA_DEACTIVATED,
        ChangeKind.MFA_DELETED,
    }
)
MFA_REMOVED = frozenset({ChangeKind.MFA_DEACTIVATED, ChangeKind.MFA_DELETED})


@dataclass(frozen=True)
class Actor:
    """The caller, as the sign-in parser read it."""

    account_id: str
    principal_key: str
    is_root: bool
    is_iam_user: bool
    identity_type: str  # `userIdentity.type` as recorded ("FederatedUser", ...)


@dataclass(frozen=True)
class AccountChange:
    kind: ChangeKind
    event_source: str
    target: str  # the user name, account or federated user changed ("" when unnamed)
    target_key: str  # the principal key a sign-in of the target has ("" when unknown)
    target_is_root: bool
    by_self: bool  # the caller changed its own (decided by principal, not by name)
    detail: str = ""  # an MFA serial, a task policy, an access key id, a key's owner
    # AssumeRoot: the member account the session is in (the record's account is the
    # management account's), and its name and OU path once the trust check gave them
    # (organization/trust.py): only a trusted event's target in the organization is named.
    target_account: str = ""
    target_name: str = ""
    target_ou_path: str = ""

    @property
    def removes_mfa(self) -> bool:
        return self.kind in MFA_REMOVED

    @property
    def is_takeover_step(self) -> bool:
        """A password given or reset by someone else, or an MFA device removed, of a
        principal whose later console sign-in we can recognise."""
        if not self.target_key or self.kind not in TAKEOVER_STEPS:
            return False
        return self.removes_mfa or not self.by_self


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    return str(value).strip()[:MAX_CHANGE_TEXT]


def _partition(actor: Actor) -> str:
    parts = actor.principal_key.split(":")
    return parts[1] if actor.principal_key.startswith("arn:") and len(parts) > 1 else "aws"


def _user_key(actor: Actor, name: str) -> str:
    return f"arn:{_partition(actor)}:iam::{actor.account_id}:user/{name}"


def _root_key(actor: Actor, account_id: str) -> str:
    return f"arn:{_partition(actor)}:iam::{account_id}:root"


def _iam_target(actor: Actor, user_name: str) -> tuple[str, str, bool]:
    """(name, key, is root) of the user an IAM call acts on: `userName`, or the caller
    itself when it names none (IAM's own rule)."""
    if user_name:
        return user_name, _user_key(actor, user_name), False
    if actor.is_root:
        return "root user", actor.principal_key or _root_key(actor, actor.account_id), True
    if actor.is_iam_user:
        return actor.principal_key.rsplit("/", 1)[-1], actor.principal_key, False
    return "", "", False


def read_change(record: Mapping[str, Any], actor: Actor) -> AccountChange | None:
    event = declared(_text(record.get("eventSource")), _text(record.get("eventName")))
    if event is None:
        return None
    if event.root_only and not actor.is_root:
        return None
    kind = _KINDS[event.event_name]
    request = _mapping(record.get("requestParameters"))
    if kind is ChangeKind.CONSOLE_FROM_KEYS:
        if actor.identity_type != "FederatedUser":
            return None  # a role's or the access portal's token: a sign-in step
        issuer = _mapping(_mapping(record.get("userIdentity")).get("sessionContext"))
        owner = _text(_mapping(issuer.get("sessionIssuer")).get("userName"))
        detail = f"keys of IAM user {owner}" if owner else ""
        return AccountChange(kind, event.event_source, "", "", False, True, detail)
    if kind is ChangeKind.ROOT_SESSION:
        target = _text(request.get("targetPrincipal"))
        policy = _text(_mapping(request.get("taskPolicyArn")).get("arn"))
        parts = target.split(":")
        account = parts[4] if target.startswith("arn:") and len(parts) > 4 else target
        key = _root_key(actor, account) if account else ""
        return AccountChange(
            kind,
            event.event_source,
            target,
            key,
            True,
            False,
            policy.rsplit("/", 1)[-1],
            target_account=account,
        )
    if kind is ChangeKind.FEDERATION_TOKEN:
        return AccountChange(kind, event.event_source, _text(request.get("name")), "", False, True)
    if kind in (ChangeKind.PASSWORD_CHANGED, ChangeKind.EMAIL_CHANGED):
        name, key, is_root = _iam_target(actor, "")
        return AccountChange(kind, event.event_source, name, key, is_root, True)
    serial = _text(request.get("serialNumber"))
    if kind is ChangeKind.MFA_DELETED:
        # Names only the device: root's own when root deletes the device AWS names so.
        if actor.is_root and serial.endswith(f":mfa/{ROOT_MFA_DEVICE}"):
            name, key, is_root = _iam_target(actor, "")
            return AccountChange(kind, event.event_source, name, key, is_root, True, serial)
        return AccountChange(kind, event.event_source, "", "", False, False, serial)
    name, key, is_root = _iam_target(actor, _text(request.get("userName")))
    by_self = bool(key) and key == actor.principal_key and (actor.is_root or actor.is_iam_user)
    if kind in (ChangeKind.ACCESS_KEY_UPDATED, ChangeKind.ACCESS_KEY_DELETED):
        serial = _text(request.get("accessKeyId"))
    elif kind is ChangeKind.ACCESS_KEY_CREATED:
        created = _mapping(_mapping(record.get("responseElements")).get("accessKey"))
        serial = _text(created.get("accessKeyId"))
    return AccountChange(kind, event.event_source, name, key, is_root, by_self, serial)
