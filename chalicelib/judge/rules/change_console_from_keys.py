"""Console access made from access keys: a federated user session (`GetFederationToken`)
turned into a console sign-in link (`GetSigninToken`). MEDIUM: attackers use it to get
from leaked keys to the console (Datadog Security Labs), and so do tools like aws-vault."""

from __future__ import annotations

from chalicelib.judge.rules.base import Case, Rule
from chalicelib.judge.rules.change_words import change_detail, change_title, succeeded
from chalicelib.severity import Severity
from chalicelib.signin.change import ChangeKind
from chalicelib.signin.parse import SignIn


def matches(signin: SignIn) -> bool:
    change = signin.change
    return change is not None and change.kind is ChangeKind.CONSOLE_FROM_KEYS and succeeded(signin)


RULE = Rule(
    id="change.console_from_keys",
    severity=Severity.MEDIUM,
    when="a federated user's session turned into console access (`GetSigninToken` after "
    "`GetFederationToken`)",
    matches=matches,
    title=change_title,
    reason=lambda signin: f"console access from access keys ({change_detail(signin)})",
    cases=(
        Case("a federated user gets a sign-in token", True,
             "change_federated_signin_token.json"),
        Case("a role gets a sign-in token (a sign-in step)", False,
             "change_federated_signin_token.json",
             changes={"userIdentity": {"type": "AssumedRole",
                                       "arn": "arn:aws:sts::742491224508:assumed-role/R/s"}}),
    ),
)  # fmt: skip
