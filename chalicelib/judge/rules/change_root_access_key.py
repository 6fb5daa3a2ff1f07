"""The root user creates an access key for itself: CRITICAL (Panther
AWS.CloudTrail.RootAccessKeyCreated; CIS: root should have no access keys)."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_title, made_by_root, succeeded
from chalicelib.severity import Severity
from chalicelib.signin.change import ChangeKind
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    change = signin.change
    return (
        change is not None
        and change.kind is ChangeKind.ACCESS_KEY_CREATED
        and change.target_is_root
        and made_by_root(signin)
        and succeeded(signin)
    )


RULE = Rule(
    id="change.root_access_key_created",
    severity=Severity.CRITICAL,
    when="the root user creates an access key for itself (`CreateAccessKey`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: "root access key created",
    cases=(
        Case("root creates its own key", True, "change_root_create_access_key.json"),
        Case("root creates a key for an IAM user", False, "change_root_create_access_key.json",
             changes={"requestParameters": {"userName": "ci"}}),
        Case("root's key creation refused", False, "change_root_create_access_key.json",
             changes={"errorCode": "LimitExceeded"}),
        Case("root deletes a key", False, "change_root_delete_access_key.json"),
    ),
)  # fmt: skip
