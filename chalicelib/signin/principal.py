"""Which kind of principal a record names, and from what evidence.

`userIdentity.type` says it when it is there. When it is missing or `Unknown` (AWS
writes `Unknown` for sign-in records of people it has not resolved yet, and some
forwarders drop the field) the record often still says it elsewhere: the ARN's
resource part (`user/`, `root`, `assumed-role/AWSReservedSSO_...`, `assumed-role/`,
`federated-user/`), or `onBehalfOf` with an `identityStoreArn` (the shape AWS documents
for Identity Center users during the transition to `IdentityCenterUser`). The evidence
is kept as a value, so a message can be checked against the record that made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# The role Identity Center creates for each permission set in each account.
SSO_ROLE_PREFIX = "AWSReservedSSO_"
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"


class PrincipalType(StrEnum):
    ROOT = "root"
    IAM_USER = "iam_user"
    ASSUMED_ROLE = "assumed_role"
    FEDERATED_USER = "federated_user"
    IDENTITY_CENTER_USER = "identity_center_user"
    UNKNOWN = "unknown"


class KindEvidence(StrEnum):
    """What in the record names the principal's kind."""

    TYPE = "type"  # userIdentity.type
    ARN_ROOT = "arn_root"  # arn:aws:iam::111122223333:root
    ARN_USER = "arn_user"  # arn:aws:iam::111122223333:user/alice
    ARN_SSO_ROLE = "arn_sso_role"  # ...:assumed-role/AWSReservedSSO_Admin_0123/alice
    ARN_ROLE = "arn_role"  # ...:assumed-role/Admin/session
    ARN_FEDERATED_USER = "arn_federated_user"  # ...:federated-user/bob
    ON_BEHALF_OF = "on_behalf_of"  # onBehalfOf.userId with onBehalfOf.identityStoreArn
    NONE = "none"


_TYPES = {
    "root": PrincipalType.ROOT,
    "iamuser": PrincipalType.IAM_USER,
    "assumedrole": PrincipalType.ASSUMED_ROLE,
    "federateduser": PrincipalType.FEDERATED_USER,
    "identitycenteruser": PrincipalType.IDENTITY_CENTER_USER,
}
# The ARN's resource part, as IAM and STS write it, and the kind each names.
_ARN_RESOURCES = (
    ("assumed-role/" + SSO_ROLE_PREFIX, PrincipalType.ASSUMED_ROLE, KindEvidence.ARN_SSO_ROLE),
    ("assumed-role/", PrincipalType.ASSUMED_ROLE, KindEvidence.ARN_ROLE),
    ("federated-user/", PrincipalType.FEDERATED_USER, KindEvidence.ARN_FEDERATED_USER),
    ("user/", PrincipalType.IAM_USER, KindEvidence.ARN_USER),
)


@dataclass(frozen=True)
class KindFact:
    kind: PrincipalType
    evidence: KindEvidence


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def arn_resource(arn: str) -> str:
    """The resource part of an IAM or STS ARN (`user/alice`, `root`); empty for
    anything that is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("iam", "sts"):
        return ""
    return parts[5]


def kind_from_arn(arn: str) -> KindFact:
    resource = arn_resource(arn)
    if resource == "root":
        return KindFact(PrincipalType.ROOT, KindEvidence.ARN_ROOT)
    for prefix, kind, evidence in _ARN_RESOURCES:
        if resource.startswith(prefix) and len(resource) > len(prefix):
            return KindFact(kind, evidence)
    return KindFact(PrincipalType.UNKNOWN, KindEvidence.NONE)


def identity_store_user(identity: Mapping[str, Any]) -> str:
    """The Identity Center user id the record acts for, when it names its identity
    store (`onBehalfOf.userId` with `onBehalfOf.identityStoreArn`); else empty."""
    on_behalf = identity.get("onBehalfOf")
    if not isinstance(on_behalf, Mapping):
        return ""
    store = _text(on_behalf.get("identityStoreArn"))
    if not store.startswith("arn:") or ":identitystore:" not in store:
        return ""
    return _text(on_behalf.get("userId"))


def principal_kind(identity: Mapping[str, Any]) -> KindFact:
    """The principal's kind: `userIdentity.type` when it names one, else what the ARN
    or `onBehalfOf` says; `UNKNOWN` only when the record says nothing."""
    stated = _TYPES.get(_text(identity.get("type")).lower())
    if stated is not None:
        return KindFact(stated, KindEvidence.TYPE)
    from_arn = kind_from_arn(_text(identity.get("arn")))
    if from_arn.kind is not PrincipalType.UNKNOWN:
        return from_arn
    if identity_store_user(identity):
        return KindFact(PrincipalType.IDENTITY_CENTER_USER, KindEvidence.ON_BEHALF_OF)
    return KindFact(PrincipalType.UNKNOWN, KindEvidence.NONE)
