"""What each setting is for, as data: docs/configuration.md's table is generated from it
(`python -m tools.settings_table`), and tests/unit/test_docs.py keeps the two equal and
checks that every field of `Settings` and every variable `Settings.from_env` reads has a
row here. Kept beside the operator tools: it documents the code, and Lambda never reads it.
The default column comes from `Settings.from_env({})` itself; `unset` says what an empty
value means where there is no value to show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable an operator can set, as docs/configuration.md lists it."""

    env: str  # the variable's name, as `Settings.from_env` reads it
    attribute: str | None  # the `Settings` field it fills; None: checked, not kept
    example: str
    what: str  # one line: what it does
    group: str  # the heading it is listed under
    unset: str = "none"  # the default's words when the field is None or empty


_SLACK = "Slack: where alerts go"
_ACCESS = "Slack: who may use /recent-logins and answer questions"
_AWS = "AWS clients"
_LEDGER = "The ledger and the stage"
_JUDGE = "Which sign-ins alert, and how they read"
_STORMS = "Alert storms and new places"
_DIGEST = "The daily digest"
_CONFIRM = '"Was this you?"'
_GUARD = "The watchdog, alarms and API throttling"

SETTING_DOCS: tuple[Setting, ...] = (
    Setting(
        "SLACK_WEBHOOK_URL",
        "slack_webhook_url",
        "https://hooks.slack.com/services/T/B/X",
        "incoming webhook (local runs; use the `_PARAM` form when deployed); must be Slack's "
        "`https://hooks.slack.com/services/T.../B.../...` (the same path on 127.0.0.1 or "
        "localhost, http allowed, for a local sink), no whitespace; the settings, SSM and "
        "the watchdog check this one rule",
        _SLACK,
    ),
    Setting(
        "SLACK_WEBHOOK_URL_PARAM",
        "slack_webhook_url_param",
        "/signin-alerts/prod/slack-webhook-url",
        "SSM SecureString holding the webhook URL",
        _SLACK,
    ),
    Setting(
        "SLACK_BOT_TOKEN",
        "slack_bot_token",
        "xoxb-...",
        "Web API bot token (wins over the webhook; local runs: use the `_PARAM` form when "
        "deployed); shaped `xox?-...`",
        _SLACK,
    ),
    Setting(
        "SLACK_BOT_TOKEN_PARAM",
        "slack_bot_token_param",
        "/signin-alerts/prod/slack-bot-token",
        "SSM SecureString holding the Web API bot token (wins over the webhook)",
        _SLACK,
    ),
    Setting("SLACK_CHANNEL", "slack_channel", "C0123456789", "channel for the Web API", _SLACK),
    Setting(
        "SLACK_CHANNEL_BY_SEVERITY",
        "slack_channel_by_severity",
        "CRITICAL=C0SEC,HIGH=C0SEC",
        "Web API channel per severity",
        _SLACK,
    ),
    Setting(
        "SLACK_CHANNEL_BY_ACCOUNT",
        "slack_channel_by_account",
        "Payments-*=C0PAY,ou:Sandbox/*=C0SANDBOX,111122223333=C0PROD",
        "Web API channel by account: globs on the id, the Organizations name or (`ou:`) "
        "the OU path, first match wins; a CRITICAL with a severity channel goes there "
        "(docs/organization.md)",
        _SLACK,
    ),
    Setting(
        "SLACK_TIMEOUT_SECONDS",
        "slack_timeout_seconds",
        "3",
        "one Slack request's timeout",
        _SLACK,
    ),
    Setting(
        "SLACK_MAX_ATTEMPTS",
        "slack_max_attempts",
        "3",
        "attempts per invocation before raising to Lambda's retry",
        _SLACK,
    ),
    Setting(
        "SLACK_API_URL",
        "slack_api_url",
        "http://127.0.0.1:8080/api/",
        "Web API base URL (local sinks and tests only)",
        _SLACK,
        unset="Slack's",
    ),
    Setting(
        "SLACK_SIGNING_SECRET",
        "slack_signing_secret",
        "8f742231b1...",
        "Slack app signing secret for `/recent-logins` and `/slack/interactions` (local "
        "runs; use `_PARAM` when deployed); empty: every request gets 401",
        _ACCESS,
    ),
    Setting(
        "SLACK_SIGNING_SECRET_PARAM",
        "slack_signing_secret_param",
        "/signin-alerts/prod/slack-signing-secret",
        "SSM SecureString holding the signing secret",
        _ACCESS,
    ),
    Setting(
        "SLACK_TEAM_ID",
        "slack_team_ids",
        "T0123ABCD",
        "workspace(s) whose members may use `/recent-logins` and answer questions, comma-separated",
        _ACCESS,
        unset="none (nobody allowed)",
    ),
    Setting(
        "SLACK_ALLOWED_USER_IDS",
        "slack_allowed_user_ids",
        "U0123,U0456",
        "only these users may use `/recent-logins`",
        _ACCESS,
        unset="anyone in the workspace",
    ),
    Setting(
        "SLACK_ALLOWED_CHANNEL_IDS",
        "slack_allowed_channel_ids",
        "C0SECOPS",
        "only in these channels",
        _ACCESS,
        unset="any channel",
    ),
    Setting(
        "AWS_CONNECT_TIMEOUT_SECONDS",
        "aws_connect_timeout_seconds",
        "1",
        "every AWS client's connect timeout (DynamoDB, SSM); `/recent-logins` uses at most 0.5",
        _AWS,
    ),
    Setting(
        "AWS_READ_TIMEOUT_SECONDS",
        "aws_read_timeout_seconds",
        "3",
        "every AWS client's read timeout, cut further to the time the invocation has left; "
        "`/recent-logins` uses at most 1",
        _AWS,
    ),
    Setting(
        "AWS_MAX_ATTEMPTS",
        "aws_max_attempts",
        "5",
        "attempts per AWS call (botocore standard mode), each only if it fits before the "
        "deadline; `/recent-logins` makes one",
        _AWS,
    ),
    Setting(
        "LEDGER_TABLE",
        "ledger_table",
        "signin-alerts-ledger-test",
        "DynamoDB table",
        _LEDGER,
    ),
    Setting(
        "LEDGER_REGION",
        "ledger_region",
        "us-east-1",
        "where the table lives (all stages: `us-east-1`, one home table)",
        _LEDGER,
        unset="the Lambda's region",
    ),
    Setting(
        "STAGE_REGION",
        None,
        "us-west-2",
        "the region the stage belongs in; deploying or running it elsewhere is refused, "
        "naming both regions",
        _LEDGER,
    ),
    Setting(
        "LEDGER_RETENTION_DAYS",
        "ledger_retention_days",
        "365",
        "how long sign-ins stay (DynamoDB TTL)",
        _LEDGER,
    ),
    Setting(
        "ALERT_MIN_SEVERITY",
        "alert_min_severity",
        "HIGH",
        "sign-ins below this are routine: recorded, listed, counted and rolled up "
        "(docs/delivery.md#routine-sign-ins); `INFO` posts one message per sign-in",
        _JUDGE,
    ),
    Setting(
        "ROUTINE_SUMMARY_MINUTES",
        "routine_summary_minutes",
        "30",
        "webhook: one roll-up of routine sign-ins per window of this many minutes "
        "that had any (1 to 1440; the Web API keeps one message a day, updated)",
        _JUDGE,
    ),
    Setting(
        "WATCH_PRINCIPALS",
        "watch_principals",
        "arn:aws:iam::*:user/breakglass*",
        "globs on ARN or name: always at least HIGH",
        _JUDGE,
    ),
    Setting(
        "CRITICAL_PRINCIPALS",
        "critical_principals",
        "arn:aws:iam::*:user/breakglass*",
        "globs on ARN or name: every sign-in CRITICAL (break-glass users)",
        _JUDGE,
    ),
    Setting(
        "IGNORE_PRINCIPALS",
        "ignore_principals",
        "arn:aws:sts::*:assumed-role/ReadOnly*/*",
        "globs on ARN or name: recorded, never posted",
        _JUDGE,
    ),
    Setting(
        "TRUSTED_CIDRS",
        "trusted_cidrs",
        "203.0.113.0/24,2001:db8::/32",
        "office networks: failures from them are LOW",
        _JUDGE,
    ),
    Setting(
        "ACCOUNT_NAMES",
        "account_names",
        "111122223333=prod,444455556666=staging",
        "account names in messages; wins over the names read from AWS Organizations",
        _JUDGE,
    ),
    Setting(
        "ORGANIZATION_REFRESH_MINUTES",
        "organization_refresh_minutes",
        "30",
        "an unknown account's sign-in reads AWS Organizations again at most this often "
        "(per container; the names are read daily anyway)",
        _JUDGE,
    ),
    Setting(
        "DISPLAY_TIMEZONE",
        "display_timezone",
        "Asia/Seoul",
        "fallback time zone where Slack cannot localise",
        _JUDGE,
    ),
    Setting("MESSAGE_LANGUAGE", "language", "ko", "labels in English or Korean", _JUDGE),
    Setting(
        "BURST_ROOT_FAILURES",
        "burst_root_failures",
        "10",
        "failed root sign-ins within `BURST_ROOT_WINDOW_MINUTES` that open a HIGH burst alert",
        _STORMS,
    ),
    Setting(
        "BURST_ROOT_WINDOW_MINUTES",
        "burst_root_window_minutes",
        "30",
        "window for root failures",
        _STORMS,
    ),
    Setting(
        "BURST_FAILURES",
        "burst_failures",
        "50",
        "failed sign-ins per principal, and per source IP, within `BURST_WINDOW_MINUTES` "
        "that open a burst alert",
        _STORMS,
    ),
    Setting(
        "BURST_WINDOW_MINUTES",
        "burst_window_minutes",
        "30",
        "window for per-principal and per-IP failures",
        _STORMS,
    ),
    Setting(
        "SPRAY_USER_NAMES",
        "spray_user_names",
        "5",
        "distinct user names failing from one source IP within `SPRAY_WINDOW_MINUTES` "
        "(password spraying)",
        _STORMS,
    ),
    Setting(
        "SPRAY_WINDOW_MINUTES",
        "spray_window_minutes",
        "120",
        "window for spraying",
        _STORMS,
    ),
    Setting(
        "FAILURE_ALERTS_BEFORE_BURST",
        "failure_alerts_before_burst",
        "1",
        "single failure alerts per principal or IP in a window; later ones wait for the "
        "burst alert",
        _STORMS,
    ),
    Setting(
        "BURST_SUMMARY_SECONDS",
        "burst_summary_seconds",
        "300",
        "webhook: rolling summary of an open burst at most this often",
        _STORMS,
    ),
    Setting(
        "BURST_THREAD_SECONDS",
        "burst_thread_seconds",
        "60",
        "Web API: thread reply and in-place update of the burst alert at most this often",
        _STORMS,
    ),
    Setting(
        "SLACK_MIN_INTERVAL_SECONDS",
        "slack_min_interval_seconds",
        "1.5",
        "spacing of new messages per channel, shared by all Lambda instances through the "
        "ledger table",
        _STORMS,
    ),
    Setting(
        "NEW_PLACE_ALERTS",
        "new_place_alerts",
        "false",
        "flag new IP, new country and impossible travel on successful sign-ins",
        _STORMS,
    ),
    Setting(
        "IMPOSSIBLE_TRAVEL_MINUTES",
        "impossible_travel_minutes",
        "120",
        'two countries for one principal within this many minutes is HIGH "impossible travel"',
        _STORMS,
    ),
    Setting(
        "ROOT_MFA_WAIT_MINUTES",
        "root_mfa_wait_minutes",
        "10",
        "a root `CheckMfa` waits this long (decimals allowed) for its `ConsoleLogin` (same "
        "IP, eventTime at most this much later), whose alert then tells both; else it "
        "alerts HIGH by itself (the every-minute sweep, counted from when the CheckMfa "
        "was handled)",
        _STORMS,
    ),
    Setting(
        "TAKEOVER_WINDOW_HOURS",
        "takeover_window_hours",
        "48",
        "a console sign-in this many hours or less after its user's console password was "
        "given or reset by someone else, or their MFA device removed, is at least HIGH and "
        "says what changed, when and by whom (in either order of arrival)",
        _STORMS,
    ),
    Setting(
        "DIGEST_ENABLED",
        "digest_enabled",
        "true",
        "post yesterday's digest once a day",
        _DIGEST,
    ),
    Setting("DIGEST_HOUR_UTC", "digest_hour_utc", "7", "hour (UTC) the digest is posted", _DIGEST),
    Setting(
        "DIGEST_CHANNEL",
        "digest_channel",
        "C0SECDIGEST",
        "Web API channel for the digest (a webhook posts to its own channel)",
        _DIGEST,
        unset="`SLACK_CHANNEL`",
    ),
    Setting(
        "DIGEST_WEEKLY_DAY",
        "digest_weekly_day",
        "friday",
        "day (`monday` ... `sunday`, or `off`) the weekly digest of the last 7 days is "
        "posted, in the digest's hour; with a bot token both digests carry the week's picture",
        _DIGEST,
        unset="off",
    ),
    Setting(
        "CONFIRM_ENABLED",
        "confirm_enabled",
        "true",
        'ask the person behind a sign-in "Was this you?" in a DM (needs `SLACK_BOT_TOKEN`)',
        _CONFIRM,
    ),
    Setting(
        "CONFIRM_MIN_SEVERITY",
        "confirm_min_severity",
        "INFO",
        "successful sign-ins at least this severe are asked about (new places always are)",
        _CONFIRM,
    ),
    Setting(
        "CONFIRM_WITHIN_MINUTES",
        "confirm_within_minutes",
        "30",
        "no answer within this long (decimals allowed: `0.5`): escalated by "
        "`pending_confirmations`",
        _CONFIRM,
    ),
    Setting(
        "SLACK_USER_MAP",
        "slack_user_map",
        "arn:aws:iam::*:user/alice=U0ALICE,*@example.com=U0OPS",
        "globs on ARN or name to the Slack user asked, first match wins; e-mail names are "
        "otherwise looked up",
        _CONFIRM,
    ),
    Setting(
        "SLACK_ESCALATION_MENTION",
        "slack_escalation_mention",
        "<!subteam^S0SEC>",
        "who a denial or silence pings: a user group, `<@U...>`, `<!here>` or `<!channel>`",
        _CONFIRM,
    ),
    Setting(
        "WATCHDOG_ENABLED",
        "watchdog_enabled",
        "false",
        "run the hourly self-check (the schedule is always deployed)",
        _GUARD,
    ),
    Setting(
        "WATCHDOG_REMIND_HOURS",
        "watchdog_remind_hours",
        "0.5",
        "while a watchdog problem lasts, say it again this often (decimals allowed)",
        _GUARD,
    ),
    Setting(
        "ORGANIZATION_WATCH",
        "organization_watch",
        "true",
        "the us-east-1 stage's watchdog also checks the organization: each member's "
        "StackSet instances, members with none, members quiet for 30 days; needs the "
        "management account or a delegated administrator. `deploy --org` sets it (and the "
        "policy to match), `remove --org` takes it off",
        _GUARD,
    ),
    Setting(
        "ALARM_EMAIL",
        "alarm_email",
        "oncall@example.com",
        "`manage.py deploy` subscribes it to the stage's alarm topic (SAM: the `AlarmEmail` "
        "parameter)",
        _GUARD,
    ),
    Setting(
        "API_THROTTLE_RATE",
        "api_throttle_rate",
        "5",
        "requests a second API Gateway lets through to the slash command, stage-wide "
        "(SAM: `ApiThrottleRate`)",
        _GUARD,
    ),
    Setting(
        "API_THROTTLE_BURST",
        "api_throttle_burst",
        "10",
        "burst above that rate (SAM: `ApiThrottleBurst`)",
        _GUARD,
    ),
)

# Variables `Settings.from_env` reads that are not settings: Lambda sets them.
NOT_SETTINGS = frozenset({"AWS_DEFAULT_REGION", "AWS_REGION"})
