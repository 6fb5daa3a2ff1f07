"""Stage settings, read once per container from the environment.

Every knob an operator can turn lives here; `tools/setting_docs.py` describes each one
for docs/configuration.md's generated table. Secrets are never stored in settings: only
the SSM parameter names, resolved lazily by `SecretResolver`.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib import logs
from chalicelib.secret_shapes import SECRET_SHAPES
from chalicelib.severity import Severity


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names the setting."""


class Language(StrEnum):
    EN = "en"
    KO = "ko"


def _split(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.replace("\n", ",").split(",") if part.strip())


def _account_names(raw: str) -> dict[str, str]:
    """`111122223333=prod,444455556666=staging` -> {"111122223333": "prod", ...}."""
    names: dict[str, str] = {}
    for pair in _split(raw):
        account_id, sep, name = pair.partition("=")
        if not sep or not account_id.strip() or not name.strip():
            raise ConfigError(f"ACCOUNT_NAMES: expected ID=NAME, got {pair!r}")
        names[account_id.strip()] = name.strip()
    return names


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in _split(raw))
    except ValueError as error:
        raise ConfigError(f"TRUSTED_CIDRS: {error}") from None


def _severity_channels(raw: str) -> dict[Severity, str]:
    """`CRITICAL=C0SEC,HIGH=C0SEC` -> channel per severity for the Web API."""
    channels: dict[Severity, str] = {}
    for pair in _split(raw):
        level, sep, channel = pair.partition("=")
        if not sep or not channel.strip():
            raise ConfigError(f"SLACK_CHANNEL_BY_SEVERITY: expected LEVEL=CHANNEL, got {pair!r}")
        channels[Severity.parse(level, setting="SLACK_CHANNEL_BY_SEVERITY")] = channel.strip()
    return channels


# A Slack user, as `<@U...>` needs it: never from event data, so checked when read.
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
# The one broadcast the app may send: a user group, a user, @here or @channel.
_MENTION = re.compile(
    r"^<(!subteam\^[A-Z0-9]{2,20}(\|[^<>]{0,80})?|@[UW][A-Z0-9]{2,20}|!here|!channel)>$"
)


def _user_map(raw: str) -> tuple[tuple[str, str], ...]:
    """`arn:aws:iam::*:user/alice=U0ALICE,*@example.com=U0OPS` -> ordered (glob, user)."""
    pairs: list[tuple[str, str]] = []
    for pair in _split(raw):
        pattern, sep, user_id = pair.rpartition("=")
        if not sep or not pattern.strip() or not SLACK_USER_ID.match(user_id.strip()):
            raise ConfigError(f"SLACK_USER_MAP: expected GLOB=UXXXXXXXX, got {pair!r}")
        pairs.append((pattern.strip(), user_id.strip()))
    return tuple(pairs)


def _mention(raw: str) -> str:
    if raw and not _MENTION.match(raw):
        raise ConfigError(
            "SLACK_ESCALATION_MENTION: expected <!subteam^S...>, <@U...>, <!here> or "
            f"<!channel>, got {raw!r}"
        )
    return raw


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name}: must be positive, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name}: must be positive, got {raw}")
    return value


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret setting, checked for its shape; the error never repeats the value."""
    value = env.get(name, "").strip()
    if not value:
        return None
    problem = SECRET_SHAPES[name](value)
    if problem:
        raise ConfigError(f"{name}: {problem}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _hour(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= 23:
        raise ConfigError(f"{name}: expected an hour 0-23, got {raw!r}")
    return int(raw)


def _timezone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DISPLAY_TIMEZONE: unknown IANA time zone {raw!r}") from None
    return raw


def check_stage_region(env: Mapping[str, str]) -> None:
    """Refuse to run a stage outside the region its name says (`STAGE_REGION`).

    Chalice has no region key: the region comes from the deployer's environment, so
    `chalice deploy --stage prod-us-west-2` in us-east-1 would quietly build a second
    copy there. Checked when Chalice loads the app to deploy it and at cold start.
    """
    wanted = env.get("STAGE_REGION", "").strip()
    # botocore (so Chalice) reads AWS_DEFAULT_REGION; Lambda sets both to its region.
    actual = (env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "").strip()
    if wanted and actual and wanted != actual:
        raise ConfigError(
            f"STAGE_REGION: this stage belongs in {wanted} but runs in {actual}; "
            f"deploy it with AWS_DEFAULT_REGION={wanted} (or `manage.py deploy`)"
        )


@dataclass(frozen=True)
class Settings:
    ledger_table: str = "signin-alerts-ledger"
    ledger_region: str | None = None
    ledger_retention_days: int = 90
    alert_min_severity: Severity = Severity.INFO
    watch_principals: tuple[str, ...] = ()
    critical_principals: tuple[str, ...] = ()  # break-glass users: every sign-in CRITICAL
    ignore_principals: tuple[str, ...] = ()
    trusted_cidrs: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    account_names: dict[str, str] = field(default_factory=dict)
    display_timezone: str = "UTC"
    language: Language = Language.EN
    slack_webhook_url: str | None = None
    slack_webhook_url_param: str | None = None
    slack_bot_token: str | None = None
    slack_bot_token_param: str | None = None
    slack_channel: str | None = None
    slack_api_url: str | None = None  # local sinks and tests only
    slack_channel_by_severity: dict[Severity, str] = field(default_factory=dict)
    slack_timeout_seconds: float = 5.0
    slack_max_attempts: int = 5
    # Every AWS client (aws_clients.py): one attempt's timeouts, attempts per call.
    aws_connect_timeout_seconds: float = 0.5
    aws_read_timeout_seconds: float = 2.0
    aws_max_attempts: int = 3
    # Storm control (storms/decision.py): failures per window that open a burst alert.
    burst_root_failures: int = 5
    burst_root_window_minutes: int = 15
    burst_failures: int = 20  # per principal, and per source IP
    burst_window_minutes: int = 60
    spray_user_names: int = 10  # distinct user names failing from one source IP
    spray_window_minutes: int = 60
    # Individual failure alerts per principal or IP before the burst alert takes over.
    failure_alerts_before_burst: int = 3
    burst_summary_seconds: float = 120.0  # webhook: rolling summary at most this often
    burst_thread_seconds: float = 30.0  # Web API: update + thread reply at most this often
    slack_min_interval_seconds: float = 1.1  # per channel, shared by all instances
    new_place_alerts: bool = True
    impossible_travel_minutes: int = 60
    # A root CheckMfa waits this long for its ConsoleLogin, else it alerts by itself.
    root_mfa_wait_minutes: float = 5.0
    digest_enabled: bool = False
    digest_hour_utc: int = 8
    digest_channel: str | None = None
    slack_signing_secret: str | None = None
    slack_signing_secret_param: str | None = None
    # Who may use /recent-logins: the workspace is required, users and channels optional.
    slack_team_ids: tuple[str, ...] = ()
    slack_allowed_user_ids: tuple[str, ...] = ()
    slack_allowed_channel_ids: tuple[str, ...] = ()
    # "Was this you?" (chalicelib/confirm): asks the person behind a sign-in in a DM.
    confirm_enabled: bool = False
    confirm_min_severity: Severity = Severity.MEDIUM
    confirm_within_minutes: float = 15.0
    slack_user_map: tuple[tuple[str, str], ...] = ()
    slack_escalation_mention: str = ""
    # The watchdog (chalicelib/watchdog/) and what `manage.py deploy` sets around it.
    watchdog_enabled: bool = True
    watchdog_remind_hours: float = 24.0
    alarm_email: str | None = None
    api_throttle_rate: float = 10.0  # requests a second, API Gateway stage-wide
    api_throttle_burst: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        check_stage_region(env)
        get: Callable[[str], str] = lambda name: env.get(name, "").strip()  # noqa: E731
        language = get("MESSAGE_LANGUAGE").lower() or "en"
        if language not in {member.value for member in Language}:
            raise ConfigError(f"MESSAGE_LANGUAGE: expected en or ko, got {language!r}")
        return cls(
            ledger_table=get("LEDGER_TABLE") or cls.ledger_table,
            ledger_region=get("LEDGER_REGION") or None,
            ledger_retention_days=_positive_int(env, "LEDGER_RETENTION_DAYS", 90),
            alert_min_severity=Severity.parse(
                get("ALERT_MIN_SEVERITY") or "INFO", setting="ALERT_MIN_SEVERITY"
            ),
            watch_principals=_split(get("WATCH_PRINCIPALS")),
            critical_principals=_split(get("CRITICAL_PRINCIPALS")),
            ignore_principals=_split(get("IGNORE_PRINCIPALS")),
            trusted_cidrs=_networks(get("TRUSTED_CIDRS")),
            account_names=_account_names(get("ACCOUNT_NAMES")),
            display_timezone=_timezone(get("DISPLAY_TIMEZONE") or "UTC"),
            language=Language(language),
            slack_webhook_url=_secret(env, "SLACK_WEBHOOK_URL"),
            slack_webhook_url_param=get("SLACK_WEBHOOK_URL_PARAM") or None,
            slack_bot_token=_secret(env, "SLACK_BOT_TOKEN"),
            slack_bot_token_param=get("SLACK_BOT_TOKEN_PARAM") or None,
            slack_channel=get("SLACK_CHANNEL") or None,
            slack_api_url=get("SLACK_API_URL") or None,
            slack_channel_by_severity=_severity_channels(get("SLACK_CHANNEL_BY_SEVERITY")),
            slack_timeout_seconds=_positive_float(env, "SLACK_TIMEOUT_SECONDS", 5.0),
            slack_max_attempts=_positive_int(env, "SLACK_MAX_ATTEMPTS", 5),
            aws_connect_timeout_seconds=_positive_float(env, "AWS_CONNECT_TIMEOUT_SECONDS", 0.5),
            aws_read_timeout_seconds=_positive_float(env, "AWS_READ_TIMEOUT_SECONDS", 2.0),
            aws_max_attempts=_positive_int(env, "AWS_MAX_ATTEMPTS", 3),
            burst_root_failures=_positive_int(env, "BURST_ROOT_FAILURES", 5),
            burst_root_window_minutes=_positive_int(env, "BURST_ROOT_WINDOW_MINUTES", 15),
            burst_failures=_positive_int(env, "BURST_FAILURES", 20),
            burst_window_minutes=_positive_int(env, "BURST_WINDOW_MINUTES", 60),
            spray_user_names=_positive_int(env, "SPRAY_USER_NAMES", 10),
            spray_window_minutes=_positive_int(env, "SPRAY_WINDOW_MINUTES", 60),
            failure_alerts_before_burst=_positive_int(env, "FAILURE_ALERTS_BEFORE_BURST", 3),
            burst_summary_seconds=_positive_float(env, "BURST_SUMMARY_SECONDS", 120.0),
            burst_thread_seconds=_positive_float(env, "BURST_THREAD_SECONDS", 30.0),
            slack_min_interval_seconds=_positive_float(env, "SLACK_MIN_INTERVAL_SECONDS", 1.1),
            new_place_alerts=_flag(env, "NEW_PLACE_ALERTS", True),
            impossible_travel_minutes=_positive_int(env, "IMPOSSIBLE_TRAVEL_MINUTES", 60),
            root_mfa_wait_minutes=_positive_float(env, "ROOT_MFA_WAIT_MINUTES", 5.0),
            digest_enabled=_flag(env, "DIGEST_ENABLED", False),
            digest_hour_utc=_hour(env, "DIGEST_HOUR_UTC", 8),
            digest_channel=get("DIGEST_CHANNEL") or None,
            slack_signing_secret=_secret(env, "SLACK_SIGNING_SECRET"),
            slack_signing_secret_param=get("SLACK_SIGNING_SECRET_PARAM") or None,
            slack_team_ids=_split(get("SLACK_TEAM_ID")),
            slack_allowed_user_ids=_split(get("SLACK_ALLOWED_USER_IDS")),
            slack_allowed_channel_ids=_split(get("SLACK_ALLOWED_CHANNEL_IDS")),
            confirm_enabled=_flag(env, "CONFIRM_ENABLED", False),
            confirm_min_severity=Severity.parse(
                get("CONFIRM_MIN_SEVERITY") or "MEDIUM", setting="CONFIRM_MIN_SEVERITY"
            ),
            confirm_within_minutes=_positive_float(env, "CONFIRM_WITHIN_MINUTES", 15.0),
            slack_user_map=_user_map(get("SLACK_USER_MAP")),
            slack_escalation_mention=_mention(get("SLACK_ESCALATION_MENTION")),
            watchdog_enabled=_flag(env, "WATCHDOG_ENABLED", True),
            watchdog_remind_hours=_positive_float(env, "WATCHDOG_REMIND_HOURS", 24.0),
            alarm_email=get("ALARM_EMAIL") or None,
            api_throttle_rate=_positive_float(env, "API_THROTTLE_RATE", 10.0),
            api_throttle_burst=_positive_int(env, "API_THROTTLE_BURST", 20),
        )

    def account_label(self, account_id: str) -> str:
        name = self.account_names.get(account_id)
        return f"{name} ({account_id})" if name else account_id


class SecretResolver:
    """Reads SecureString parameters from SSM once per container.

    Takes the SSM client factory rather than a client so that a stage configured with
    plain values never builds (or imports) boto3 at all.
    """

    def __init__(self, ssm_client_factory: Callable[[], Any]) -> None:
        self._factory = ssm_client_factory
        self._client: Any = None
        self._cache: dict[str, str] = {}

    def value(self, plain: str | None, param_name: str | None, setting: str) -> str | None:
        """The secret `setting`: its plain value, else its SSM parameter's, checked for
        its shape. Every secret the app uses passes here, so logs learn to hide it."""
        if plain:
            return logs.hide(plain)
        if not param_name:
            return None
        if param_name not in self._cache:
            if self._client is None:
                self._client = self._factory()
            try:
                response = self._client.get_parameter(Name=param_name, WithDecryption=True)
            except Exception as error:  # botocore's ClientError and friends, by name below
                raise ConfigError(
                    f"{setting}_PARAM: cannot read SSM parameter {param_name!r}: "
                    f"{type(error).__name__}"
                ) from None
            value = str(response["Parameter"]["Value"]).strip()
            logs.hide(value)  # before the check: a bad value must not be logged either
            problem = SECRET_SHAPES[setting](value) if value else "is empty"
            if problem:
                raise ConfigError(f"{setting}_PARAM: SSM parameter {param_name!r} {problem}")
            self._cache[param_name] = value
        return self._cache[param_name]
