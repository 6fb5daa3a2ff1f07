"""What a check found, and the names of the stage's resources it looks at.

The names follow Chalice's (`<app>-<stage>-<function>`) and `manage.py deploy`'s
conventions, so the watchdog finds its stage's parts from its own function ARN; the
SAM template, whose names CloudFormation picks, passes them in the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

APP_NAME = "signin-alerts"
SIGNIN_FUNCTION = "console_signin"
CHANGE_FUNCTION = "account_change"
WATCHDOG_FUNCTION = "watchdog"
# The stage in this region checks the forwarding rules of every region without a stage.
FORWARDING_CHECKER_REGION = "us-east-1"


class Status(StrEnum):
    OK = "ok"
    PROBLEM = "problem"  # HIGH: alerts may be lost or unseen
    HINT = "hint"  # informational: worth a look, never an alarm


class Check(StrEnum):
    TRAIL = "trail"
    SIGNIN_RULE = "signin_rule"
    CHANGE_RULE = "change_rule"  # the account_change function's rule (issue 23)
    FORWARDING = "forwarding"
    UNDELIVERED = "undelivered"
    SLACK = "slack"
    SIGNING_SECRET = "signing_secret"
    LAST_SIGNIN = "last_signin"
    # An organization (ORGANIZATION_WATCH): each member account and region's forwarding
    # stack instance, and members that send no sign-in.
    ORG_INSTANCE = "org_instance"
    ORG_QUIET = "org_quiet"


@dataclass(frozen=True)
class Finding:
    check: Check
    region: str
    status: Status
    what: str = ""  # what is wrong, one sentence; empty when OK
    fix: str = ""  # the command or console link that fixes it
    subject: str = ""  # several findings of one check: the forwarding source region

    @property
    def key(self) -> str:
        """One state item per stage and key."""
        return f"{self.check.value}#{self.subject}" if self.subject else self.check.value

    @classmethod
    def ok(cls, check: Check, region: str, subject: str = "") -> Finding:
        return cls(check, region, Status.OK, subject=subject)


def forward_rule_name(env: str, kind: str = "signins") -> str:
    """A rule `manage.py deploy --forward-from` puts in each region without a stage:
    one per entry of `FORWARDED_PATTERNS` (`signins`, `changes`)."""
    return f"{APP_NAME}-{env}-forward-{kind}"


def stack_set_name(env: str) -> str:
    """The StackSet `manage.py deploy --org` rolls out to the organization's accounts:
    one per env, so dev and prod organizations never touch each other's."""
    return f"{APP_NAME}-{env}-organization"


@dataclass(frozen=True)
class StageIdentity:
    name: str  # prod-us-east-1
    region: str
    account: str
    signin_function: str  # function name
    signin_rule: str
    undelivered_queue: str
    change_function: str = ""  # the account_change function and its rule
    change_rule: str = ""

    @property
    def env(self) -> str:
        return self.name.removesuffix(f"-{self.region}")

    @property
    def signin_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.signin_function}"

    @property
    def change_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.change_function}"

    @classmethod
    def of(cls, stage: str, region: str, account: str) -> StageIdentity:
        prefix = f"{APP_NAME}-{stage}"
        return cls(
            stage,
            region,
            account,
            f"{prefix}-{SIGNIN_FUNCTION}",
            f"{prefix}-{SIGNIN_FUNCTION}-event",
            f"{prefix}-undelivered",
            f"{prefix}-{CHANGE_FUNCTION}",
            f"{prefix}-{CHANGE_FUNCTION}-event",
        )

    @classmethod
    def from_lambda(cls, function_arn: str, env: Mapping[str, str]) -> StageIdentity:
        """From the watchdog's own ARN (`...:function:signin-alerts-<stage>-watchdog`);
        `WATCHDOG_STAGE`, `SIGNIN_FUNCTION_NAME`, `SIGNIN_RULE_NAME`,
        `UNDELIVERED_QUEUE_NAME`, `CHANGE_FUNCTION_NAME` and `CHANGE_RULE_NAME` override
        (the SAM template sets them)."""
        parts = function_arn.split(":")
        region, account, function = parts[3], parts[4], parts[6]
        derived = function.removeprefix(f"{APP_NAME}-").removesuffix(f"-{WATCHDOG_FUNCTION}")
        # The SAM template passes its stack name, `signin-alerts-<stage>` by convention.
        stage = (env.get("WATCHDOG_STAGE") or derived).removeprefix(f"{APP_NAME}-")
        default = cls.of(stage, region, account)
        return cls(
            stage,
            region,
            account,
            env.get("SIGNIN_FUNCTION_NAME") or default.signin_function,
            env.get("SIGNIN_RULE_NAME") or default.signin_rule,
            env.get("UNDELIVERED_QUEUE_NAME") or default.undelivered_queue,
            env.get("CHANGE_FUNCTION_NAME") or default.change_function,
            env.get("CHANGE_RULE_NAME") or default.change_rule,
        )
