"""An operator's mistake: one line that names the fix, exit 2, never a traceback.

Commands raise `OperatorError` (or a subclass) with the kind of mistake and its fix;
botocore's own "you have not set this up" errors are mapped here too. `manage.main`
is the one place that turns any of them into a line on stderr.
"""

from __future__ import annotations

from enum import Enum

EXIT_MISTAKE = 2


class Mistake(Enum):
    NO_CREDENTIALS = "no credentials"
    UNKNOWN_PROFILE = "unknown profile"
    NO_REGION = "no region"
    WRONG_REGION = "wrong region for a stage"
    UNKNOWN_ENV = "unknown env"
    UNKNOWN_STAGE = "unknown stage"
    STAGE_CONFIG = "stage config"
    MISSING_POLICY_FILE = "missing policy file"
    BAD_SETTING = "bad setting"
    BAD_VALUE = "bad value"
    MISSING_VALUE = "missing value"
    CREDENTIALS_REFUSED = "credentials refused"
    NOT_ALLOWED = "not allowed"


# AWS error codes (typed fields of the response, not message text) for credentials AWS
# does not accept, and for a call the credentials may not make.
REFUSED_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
NOT_ALLOWED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


class OperatorError(Exception):
    """A mistake the operator can fix: what is wrong, and what to run or change."""

    def __init__(self, mistake: Mistake, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.mistake = mistake
        self.problem = problem
        self.fix = fix

    def line(self) -> str:
        return f"{self.problem}; {self.fix}"


def from_exception(error: BaseException) -> OperatorError | None:
    """The operator's mistake behind an exception from botocore or the settings, if it
    is one (by type, never by message text); None for anything else (a bug: let it
    raise)."""
    from botocore.exceptions import (
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        SSOTokenLoadError,
        TokenRetrievalError,
    )

    from chalicelib.settings import ConfigError

    if isinstance(error, OperatorError):
        return error
    if isinstance(error, (SSOTokenLoadError, TokenRetrievalError)):
        return OperatorError(
            Mistake.CREDENTIALS_REFUSED,
            "the AWS SSO session has expired or was never started",
            "run `aws sso login` (with the same AWS_PROFILE)",
        )
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return OperatorError(
            Mistake.NO_CREDENTIALS,
            "no AWS credentials found",
            "run `aws configure` or `aws sso login`, or set AWS_PROFILE",
        )
    if isinstance(error, ProfileNotFound):
        profile = getattr(error, "kwargs", {}).get("profile", "?")
        return OperatorError(
            Mistake.UNKNOWN_PROFILE,
            f"AWS profile {profile!r} is not in ~/.aws/config",
            "set AWS_PROFILE to a profile `aws configure list-profiles` shows",
        )
    if isinstance(error, NoRegionError):
        return OperatorError(
            Mistake.NO_REGION,
            "no AWS region set",
            "pass --env ENV (each stage names its region) or set AWS_DEFAULT_REGION",
        )
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        operation = error.operation_name
        if code in REFUSED_CREDENTIALS:
            return OperatorError(
                Mistake.CREDENTIALS_REFUSED,
                f"AWS does not accept these credentials ({code} on {operation})",
                "refresh them (`aws sso login`, or new keys) or pick another AWS_PROFILE",
            )
        if code in NOT_ALLOWED_CODES:
            return OperatorError(
                Mistake.NOT_ALLOWED,
                f"these credentials may not call {operation} ({code})",
                "use a role that may deploy signin-alerts (docs/deploy.md lists what it creates)",
            )
        return None
    if isinstance(error, ConfigError):
        return OperatorError(
            Mistake.BAD_SETTING,
            f"a stage setting is not usable: {error}",
            "fix .chalice/config.json",
        )
    return None
