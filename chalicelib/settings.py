"""Stage settings, read once per container from the environment.

Every knob an operator can turn lives here; `tools/setting_docs.py` describes each one
for docs/configuration.md's generated table. Secrets are never stored in settings: only
the SSM parameter names, resolved lazily by `SecretResolver`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib import logs
from chalicelib import setting_parsers as parse
from chalicelib.secret_shapes import SECRET_SHAPES

# Re-exported: the packages read settings, never how each one is parsed.
from chalicelib.setting_parsers import SLACK_USER_ID as SLACK_USER_ID
from chalicelib.setting_parsers import ConfigError as ConfigError
from chalicelib.setting_parsers import Language as Language
from chalicelib.severity import Severity


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
    # Below it a sign-in is routine: recorded, listed and rolled up (chalicelib/routine).
    alert_min_severity: Severity = Severity.MEDIUM
    routine_summary_minutes: int = 60  # webhook: one roll-up per window that had any
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
    # Globs on an account's id, name or `ou:` path -> channel (slack/channels.py).
    slack_channel_by_account: tuple[tuple[str, str], ...] = ()
    # An unknown account's sign-in reads Organizations again at most this often.
    organization_refresh_minutes: float = 10.0
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
    # A console sign-in this soon after its password was given or reset by someone
    # else, or its MFA removed, is a possible takeover (changes/takeover.py).
    takeover_window_hours: int = 24
    digest_enabled: bool = False
    digest_hour_utc: int = 8
    digest_channel: str | None = None
    # The weekly digest's day, in the daily digest's hour; None: off.
    digest_weekly_day: parse.Weekday | None = parse.Weekday.MONDAY
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
    # The us-east-1 stage's watchdog checks the organization's StackSet and accounts.
    organization_watch: bool = False
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
            ledger_retention_days=parse.positive_int(env, "LEDGER_RETENTION_DAYS", 90),
            alert_min_severity=Severity.parse(
                get("ALERT_MIN_SEVERITY") or "MEDIUM", setting="ALERT_MIN_SEVERITY"
            ),
            routine_summary_minutes=parse.at_most(
                parse.positive_int(env, "ROUTINE_SUMMARY_MINUTES", 60),
                1440,
                "ROUTINE_SUMMARY_MINUTES",
            ),
            watch_principals=parse.split(get("WATCH_PRINCIPALS")),
            critical_principals=parse.split(get("CRITICAL_PRINCIPALS")),
            ignore_principals=parse.split(get("IGNORE_PRINCIPALS")),
            trusted_cidrs=parse.networks(get("TRUSTED_CIDRS")),
            account_names=parse.account_names(get("ACCOUNT_NAMES")),
            display_timezone=parse.timezone(get("DISPLAY_TIMEZONE") or "UTC"),
            language=Language(language),
            slack_webhook_url=parse.secret(env, "SLACK_WEBHOOK_URL"),
            slack_webhook_url_param=get("SLACK_WEBHOOK_URL_PARAM") or None,
            slack_bot_token=parse.secret(env, "SLACK_BOT_TOKEN"),
            slack_bot_token_param=get("SLACK_BOT_TOKEN_PARAM") or None,
            slack_channel=get("SLACK_CHANNEL") or None,
            slack_api_url=get("SLACK_API_URL") or None,
            slack_channel_by_severity=parse.severity_channels(get("SLACK_CHANNEL_BY_SEVERITY")),
            slack_channel_by_account=parse.account_channels(get("SLACK_CHANNEL_BY_ACCOUNT")),
            organization_refresh_minutes=parse.positive_float(
                env, "ORGANIZATION_REFRESH_MINUTES", 10.0
            ),
            slack_timeout_seconds=parse.positive_float(env, "SLACK_TIMEOUT_SECONDS", 5.0),
            slack_max_attempts=parse.positive_int(env, "SLACK_MAX_ATTEMPTS", 5),
            aws_connect_timeout_seconds=parse.positive_float(
                env, "AWS_CONNECT_TIMEOUT_SECONDS", 0.5
            ),
            aws_read_timeout_seconds=parse.positive_float(env, "AWS_READ_TIMEOUT_SECONDS", 2.0),
            aws_max_attempts=parse.positive_int(env, "AWS_MAX_ATTEMPTS", 3),
            burst_root_failures=parse.positive_int(env, "BURST_ROOT_FAILURES", 5),
            burst_root_window_minutes=parse.positive_int(env, "BURST_ROOT_WINDOW_MINUTES", 15),
            burst_failures=parse.positive_int(env, "BURST_FAILURES", 20),
            burst_window_minutes=parse.positive_int(env, "BURST_WINDOW_MINUTES", 60),
            spray_user_names=parse.positive_int(env, "SPRAY_USER_NAMES", 10),
            spray_window_minutes=parse.positive_int(env, "SPRAY_WINDOW_MINUTES", 60),
            failure_alerts_before_burst=parse.positive_int(env, "FAILURE_ALERTS_BEFORE_BURST", 3),
            burst_summary_seconds=parse.positive_float(env, "BURST_SUMMARY_SECONDS", 120.0),
            burst_thread_seconds=parse.positive_float(env, "BURST_THREAD_SECONDS", 30.0),
            slack_min_interval_seconds=parse.positive_float(env, "SLACK_MIN_INTERVAL_SECONDS", 1.1),
            new_place_alerts=parse.flag(env, "NEW_PLACE_ALERTS", True),
            impossible_travel_minutes=parse.positive_int(env, "IMPOSSIBLE_TRAVEL_MINUTES", 60),
            root_mfa_wait_minutes=parse.positive_float(env, "ROOT_MFA_WAIT_MINUTES", 5.0),
            takeover_window_hours=parse.positive_int(env, "TAKEOVER_WINDOW_HOURS", 24),
            digest_enabled=parse.flag(env, "DIGEST_ENABLED", False),
            digest_hour_utc=parse.hour(env, "DIGEST_HOUR_UTC", 8),
            digest_channel=get("DIGEST_CHANNEL") or None,
            digest_weekly_day=parse.weekday(env, "DIGEST_WEEKLY_DAY", parse.Weekday.MONDAY),
            slack_signing_secret=parse.secret(env, "SLACK_SIGNING_SECRET"),
            slack_signing_secret_param=get("SLACK_SIGNING_SECRET_PARAM") or None,
            slack_team_ids=parse.split(get("SLACK_TEAM_ID")),
            slack_allowed_user_ids=parse.split(get("SLACK_ALLOWED_USER_IDS")),
            slack_allowed_channel_ids=parse.split(get("SLACK_ALLOWED_CHANNEL_IDS")),
            confirm_enabled=parse.flag(env, "CONFIRM_ENABLED", False),
            confirm_min_severity=Severity.parse(
                get("CONFIRM_MIN_SEVERITY") or "MEDIUM", setting="CONFIRM_MIN_SEVERITY"
            ),
            confirm_within_minutes=parse.positive_float(env, "CONFIRM_WITHIN_MINUTES", 15.0),
            slack_user_map=parse.user_map(get("SLACK_USER_MAP")),
            slack_escalation_mention=parse.mention(get("SLACK_ESCALATION_MENTION")),
            watchdog_enabled=parse.flag(env, "WATCHDOG_ENABLED", True),
            watchdog_remind_hours=parse.positive_float(env, "WATCHDOG_REMIND_HOURS", 24.0),
            organization_watch=parse.flag(env, "ORGANIZATION_WATCH", False),
            alarm_email=get("ALARM_EMAIL") or None,
            api_throttle_rate=parse.positive_float(env, "API_THROTTLE_RATE", 10.0),
            api_throttle_burst=parse.positive_int(env, "API_THROTTLE_BURST", 20),
        )

    def with_account_names(self, names: Mapping[str, str]) -> Settings:
        """These settings naming accounts by `names` (Organizations') too; ACCOUNT_NAMES
        still wins for an account both name."""
        if not names:
            return self
        return replace(self, account_names={**names, **self.account_names})

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
