"""Someone asks to reset the root password (Elastic: root password recovery, High)."""

from __future__ import annotations

from chalicelib.judge.rules.base import ROOT_PASSWORD_RECOVERY, Case, Rule
from chalicelib.severity import Severity
from chalicelib.signin.parse import PrincipalType, SignIn


def matches(signin: SignIn) -> bool:
    return signin.event_name in ROOT_PASSWORD_RECOVERY and (
        signin.is_root or signin.principal_type is PrincipalType.UNKNOWN
    )


def _step(signin: SignIn) -> str:
    return "requested" if signin.event_name.endswith("Requested") else "completed"


RULE = Rule(
    id="root.password_recovery",
    severity=Severity.CRITICAL,
    when="root password recovery requested or completed",
    matches=matches,
    title=lambda signin: f"Root password recovery {_step(signin)}",
    reason=lambda signin: f"root password recovery {_step(signin)}",
    cases=(
        Case(
            "recovery requested",
            True,
            "root_failure.json",
            changes={"eventName": "PasswordRecoveryRequested", "responseElements": None},
        ),
        Case("root fails to sign in", False, "root_failure.json"),
    ),
)
