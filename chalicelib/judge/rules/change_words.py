"""What the account-change rules share: which change a record is, and the words its
alert's title and reason use for it (the caller is the alert's Principal field)."""

from __future__ import annotations

from chalicelib.signin.change import AccountChange, ChangeKind
from chalicelib.signin.parse import Result, SignIn


def change_of(signin: SignIn) -> AccountChange | None:
    return signin.change


def succeeded(signin: SignIn) -> bool:
    """A change that happened: the record says no error."""
    return signin.change is not None and signin.outcome is not Result.FAILURE


def made_by_root(signin: SignIn) -> bool:
    return signin.change is not None and signin.is_root


def target_words(change: AccountChange) -> str:
    if change.kind is ChangeKind.ROOT_SESSION:
        return f"account {_target_account(change)}"
    if change.target_is_root:
        return "the root user"
    return f"IAM user {change.target}" if change.target else "a user not named in the record"


def _target_account(change: AccountChange) -> str:
    """`Payments-Prod (222222222222), OU Workloads` once the trust check named the
    member, as the Account field names one; else the id the record gives."""
    if not change.target_name:
        return change.target or "(not recorded)"
    text = f"{change.target_name} ({change.target_account})"
    return f"{text}, OU {change.target_ou_path}" if change.target_ou_path else text


_TITLES = {
    ChangeKind.CONSOLE_PASSWORD_CREATED: "Console password given to {target}",
    ChangeKind.CONSOLE_PASSWORD_RESET: "Console password of {target} reset",
    ChangeKind.PASSWORD_CHANGED: "Password of {target} changed by its own user",
    ChangeKind.EMAIL_CHANGED: "E-mail address of {target} changed",
    ChangeKind.MFA_DEACTIVATED: "MFA device of {target} deactivated",
    ChangeKind.MFA_ENABLED: "MFA device enabled for {target}",
    ChangeKind.ACCESS_KEY_CREATED: "Access key created for {target}",
    ChangeKind.ACCESS_KEY_UPDATED: "Access key of {target} activated or deactivated",
    ChangeKind.ACCESS_KEY_DELETED: "Access key of {target} deleted",
    ChangeKind.ROOT_SESSION: "Root task session started in {target}",
}


def change_title(signin: SignIn) -> str:
    change = signin.change
    if change is None:
        return "Account change"
    refused = " (refused)" if signin.outcome is Result.FAILURE else ""
    if change.kind is ChangeKind.MFA_DELETED:
        whose = f"{target_words(change)}'s " if change.target_key else ""
        return f"Virtual MFA device {whose}deleted{refused}".replace("  ", " ")
    if change.kind is ChangeKind.FEDERATION_TOKEN:
        return f"Federated user session {change.target} minted from access keys{refused}"
    if change.kind is ChangeKind.CONSOLE_FROM_KEYS:
        return f"Console access made from access keys{refused}"
    return _TITLES[change.kind].format(target=target_words(change)) + refused


def change_detail(signin: SignIn) -> str:
    """What the record says beside the kind: the device, key, policy or key owner."""
    change = signin.change
    if change is None or not change.detail:
        return ""
    if change.kind is ChangeKind.ROOT_SESSION:
        return f"task policy {change.detail}"
    if change.kind is ChangeKind.CONSOLE_FROM_KEYS:
        return change.detail
    if change.kind in (
        ChangeKind.ACCESS_KEY_CREATED,
        ChangeKind.ACCESS_KEY_UPDATED,
        ChangeKind.ACCESS_KEY_DELETED,
    ):
        return f"access key {change.detail}"
    return f"device {change.detail}"
