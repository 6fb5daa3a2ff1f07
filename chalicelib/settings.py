"""Stage settings, read once per container from the environment.

Every knob an operator can turn lives here, so the README's configuration table and
this module can be checked against each other. Secrets are never stored in settings:
only the SSM parameter names, resolved lazily by `SecretResolver`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
        raise ConfigError(f"{name}: expected a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name}: must be positive, got {raw}")
    return value


def _timezone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DISPLAY_TIMEZONE: unknown IANA time zone {raw!r}") from None
    return raw


@dataclass(frozen=True)
class Settings:
    ledger_table: str = "signin-alerts-ledger"
    ledger_region: str | None = None
    ledger_retention_days: int = 90
    alert_min_severity: Severity = Severity.INFO
    watch_principals: tuple[str, ...] = ()
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
    slack_channel_by_severity: dict[Severity, str] = field(default_factory=dict)
    slack_timeout_seconds: float = 5.0
    slack_max_attempts: int = 5
    slack_signing_secret: str | None = None
    slack_signing_secret_param: str | None = None
    # Who may use /recent-logins: the workspace is required, users and channels optional.
    slack_team_ids: tuple[str, ...] = ()
    slack_allowed_user_ids: tuple[str, ...] = ()
    slack_allowed_channel_ids: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
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
            ignore_principals=_split(get("IGNORE_PRINCIPALS")),
            trusted_cidrs=_networks(get("TRUSTED_CIDRS")),
            account_names=_account_names(get("ACCOUNT_NAMES")),
            display_timezone=_timezone(get("DISPLAY_TIMEZONE") or "UTC"),
            language=Language(language),
            slack_webhook_url=get("SLACK_WEBHOOK_URL") or None,
            slack_webhook_url_param=get("SLACK_WEBHOOK_URL_PARAM") or None,
            slack_bot_token=get("SLACK_BOT_TOKEN") or None,
            slack_bot_token_param=get("SLACK_BOT_TOKEN_PARAM") or None,
            slack_channel=get("SLACK_CHANNEL") or None,
            slack_channel_by_severity=_severity_channels(get("SLACK_CHANNEL_BY_SEVERITY")),
            slack_timeout_seconds=_positive_float(env, "SLACK_TIMEOUT_SECONDS", 5.0),
            slack_max_attempts=_positive_int(env, "SLACK_MAX_ATTEMPTS", 5),
            slack_signing_secret=get("SLACK_SIGNING_SECRET") or None,
            slack_signing_secret_param=get("SLACK_SIGNING_SECRET_PARAM") or None,
            slack_team_ids=_split(get("SLACK_TEAM_ID")),
            slack_allowed_user_ids=_split(get("SLACK_ALLOWED_USER_IDS")),
            slack_allowed_channel_ids=_split(get("SLACK_ALLOWED_CHANNEL_IDS")),
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
        if plain:
            return plain
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
            self._cache[param_name] = response["Parameter"]["Value"]
        return self._cache[param_name]
