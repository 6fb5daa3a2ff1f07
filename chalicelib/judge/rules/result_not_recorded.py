"""A sign-in whose result the record does not say."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule, what
from chalicelib.severity import Severity
from chalicelib.signin.parse import Result, SignIn


def matches(signin: SignIn) -> bool:
    # Root's records say it themselves, at HIGH (root.any_other_record).
    return signin.outcome is Result.UNKNOWN and not signin.is_root


RULE = Rule(
    id="signin.result_not_recorded",
    severity=Severity.LOW,
    when="a sign-in whose result the record does not say (HIGH for root)",
    matches=matches,
    title=lambda signin: f"{what(signin)}, result not recorded",
    reason=lambda signin: "result not recorded",
    cases=(
        Case("no responseElements, no error", True, "iam_user_failure.json",
             changes={"responseElements": None, "errorMessage": None}),
        Case("failure", False, "iam_user_failure.json"),
        Case("root, no result", False, "root_failure.json",
             changes={"responseElements": None, "errorMessage": None}),
    ),
)  # fmt: skip
