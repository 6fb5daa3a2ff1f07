"""A root task session started in a member account (`sts:AssumeRoot`, centralized root
access): HIGH, with the target account and the task policy. The new way root is used in
member accounts; root is never quiet there either."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_detail, change_title, succeeded
from chalicelib.severity import Severity
from chalicelib.signin.change import ChangeKind
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    change = signin.change
    return change is not None and change.kind is ChangeKind.ROOT_SESSION and succeeded(signin)


RULE = Rule(
    id="change.assume_root",
    severity=Severity.HIGH,
    when="a root task session started in a member account (`AssumeRoot`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: f"AssumeRoot ({change_detail(signin)})",
    cases=(
        Case("the management account starts a root task", True, "change_assume_root.json"),
        Case("refused", False, "change_assume_root.json",
             changes={"errorCode": "AccessDenied"}),
        Case("a federation token", False, "change_get_federation_token.json"),
    ),
)  # fmt: skip
