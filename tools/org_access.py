"""Trusted access between StackSets and Organizations, checked before `deploy --org`
makes anything.

A service-managed StackSet needs it, and only the management account can activate it.
`DescribeOrganizationsAccess` (with the CallAs the run uses) reads it: from the
management account a deactivated one is activated, a counted change (`--dry-run` only
says it would); a delegated administrator cannot activate it, so the deploy stops
before anything is made and says what to run in the management account.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tools.mistakes import Mistake, OperatorError

ACTIVATE_COMMAND = "aws cloudformation activate-organizations-access"
ACTIVATED = f"activated trusted access for StackSets with Organizations ({ACTIVATE_COMMAND})"
STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
# What AWS answers a caller that may not ask (a member that is no delegated
# administrator, or a management account calling as one).
REFUSED_CODES = frozenset({"ValidationError", "InvalidOperationException"})


class AccessStatus(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    DISABLED_PERMANENTLY = "DISABLED_PERMANENTLY"


def read_access(cfn: Any, call_as: str, account: str, management_account: str) -> AccessStatus:
    """Trusted access as the run's caller sees it; a delegated administrator that finds it
    off, or an account StackSets does not know as one, stops here (exit 2)."""
    try:
        status = AccessStatus(cfn.describe_organizations_access(CallAs=call_as)["Status"])
    except cfn.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in REFUSED_CODES:
            raise
        raise OperatorError(
            Mistake.NOT_ALLOWED,
            f"StackSets does not take {account} as a delegated administrator "
            f"(DescribeOrganizationsAccess, CallAs {call_as}: "
            f"{error.response['Error'].get('Message', '')})",
            f"in the management account {management_account}, run `aws organizations "
            f"register-delegated-administrator --account-id {account} --service-principal "
            f"{STACKSETS_PRINCIPAL}`, or deploy from the management account",
        ) from None
    if status is not AccessStatus.ENABLED and account != management_account:
        raise OperatorError(
            Mistake.NOT_ALLOWED,
            f"trusted access for StackSets with Organizations is {status.value}: no "
            "service-managed stack set can be made, and only the management account can "
            "activate it",
            f"in the management account {management_account}, run `{ACTIVATE_COMMAND}`, "
            "then deploy again",
        )
    return status


def ensure_access(
    cfn: Any, status: AccessStatus, changes: list[str], *, dry_run: bool
) -> AccessStatus:
    """Activate trusted access when it is off (the management account only: `read_access`
    stopped anyone else); the status it has afterwards."""
    if status is AccessStatus.ENABLED:
        return status
    changes.append(ACTIVATED)
    if dry_run:
        return status
    cfn.activate_organizations_access()
    return AccessStatus.ENABLED
