"""`manage.py check --env ENV`: will the env's stages work once deployed?

Before anything is created (`deploy` runs it first): each stage's Slack secrets exist
in its region and have their shapes; it posts somewhere (a webhook or a bot token); its
policy file is what its settings say; a bot token has its channel; `SLACK_TEAM_ID` is
set (else `/recent-logins` answers nobody); a trail logs sign-ins in each region (else
EventBridge gets none). An alarm topic that tells nobody is a warning. Every problem is
a value (`Problem`, with its `Topic`) that names its fix; any problem refuses, exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings
from chalicelib.watchdog.findings import Status
from chalicelib.watchdog.pipeline import trail_finding
from tools.alarms import topic_name
from tools.cli import add_env_options, session
from tools.mistakes import EXIT_MISTAKE
from tools.policy import policy_problem
from tools.secret_kinds import Secret, shape_problem
from tools.stages import Stage, env_stages

Clients = Callable[[str, str], Any]  # (service, region) -> boto3 client


class Level(Enum):
    PROBLEM = "problem"  # deploying would make a stage that cannot work: refused
    WARNING = "warning"  # it works, but something an operator relies on is missing


class Topic(Enum):
    SECRET_MISSING = "secret missing"
    SECRET_SHAPE = "secret shape"
    POLICY_FILE = "policy file"
    DESTINATION = "slack destination"
    CHANNEL = "bot token channel"
    TEAM_ID = "team id"
    ROUTES = "channel routes"
    TRAIL = "trail"
    ALARM_SUBSCRIBER = "alarm subscriber"


@dataclass(frozen=True)
class Problem:
    topic: Topic
    level: Level
    where: str  # a stage or a region
    what: str
    fix: str

    def line(self) -> str:
        return f"{self.level.value}: {self.where}: {self.what}; fix: {self.fix}"


def secret_problems(ssm: Any, stage: Stage) -> list[Problem]:
    fix = f"python manage.py secrets --env {stage.env}"
    problems = []
    for secret in Secret:
        name = stage.environment.get(secret.param_setting)
        if not name:
            continue
        try:
            value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            what = f"SSM parameter {name} ({secret.label}) is missing in {stage.region}"
            problems.append(Problem(Topic.SECRET_MISSING, Level.PROBLEM, stage.name, what, fix))
            continue
        problem = shape_problem(secret, value)
        if problem:
            what = f"SSM parameter {name} ({secret.label}) {problem}"
            problems.append(Problem(Topic.SECRET_SHAPE, Level.PROBLEM, stage.name, what, fix))
    return problems


def settings_problems(stage: Stage, settings: Settings, project_dir: Path) -> list[Problem]:
    problems = []
    policy = policy_problem(stage, project_dir)
    if policy:
        problems.append(
            Problem(
                Topic.POLICY_FILE, Level.PROBLEM, stage.name, policy, "python manage.py policies"
            )
        )
    uses_bot = bool(settings.slack_bot_token or settings.slack_bot_token_param)
    if not uses_bot and not (settings.slack_webhook_url or settings.slack_webhook_url_param):
        problems.append(
            Problem(
                Topic.DESTINATION,
                Level.PROBLEM,
                stage.name,
                "neither a webhook nor a bot token: alerts would go nowhere",
                f"python manage.py secrets --env {stage.env} --webhook-url ...",
            )
        )
    if uses_bot and not (settings.slack_channel or settings.slack_channel_by_severity):
        problems.append(
            Problem(
                Topic.CHANNEL,
                Level.PROBLEM,
                stage.name,
                "a bot token posts nowhere without SLACK_CHANNEL",
                'add "SLACK_CHANNEL": "C..." (the channel\'s ID) to .chalice/config.json',
            )
        )
    routes = [
        name
        for name, given in (
            ("SLACK_CHANNEL_BY_ACCOUNT", settings.slack_channel_by_account),
            ("SLACK_CHANNEL_BY_SEVERITY", settings.slack_channel_by_severity),
        )
        if given
    ]
    if routes and not uses_bot:
        problems.append(
            Problem(
                Topic.ROUTES,
                Level.WARNING,
                stage.name,
                f"{' and '.join(routes)} {'needs' if len(routes) == 1 else 'need'} the Web "
                "API: a webhook posts only where it was made",
                f"python manage.py secrets --env {stage.env} --bot-token ...",
            )
        )
    if not settings.slack_team_ids:
        problems.append(
            Problem(
                Topic.TEAM_ID,
                Level.PROBLEM,
                stage.name,
                "no SLACK_TEAM_ID: /recent-logins would answer nobody",
                f"python manage.py secrets --env {stage.env} (reads it from the webhook URL), "
                "or set SLACK_TEAM_ID in .chalice/config.json",
            )
        )
    return problems


def alarm_problem(sns: Any, stage: Stage, settings: Settings) -> Problem | None:
    if settings.alarm_email:
        return None
    name = topic_name(stage)
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if (
                topic["TopicArn"].rsplit(":", 1)[-1] == name
                and sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]
            ):
                return None
    return Problem(
        Topic.ALARM_SUBSCRIBER,
        Level.WARNING,
        stage.name,
        f"no ALARM_EMAIL and nobody subscribed to {name}: its alarms tell nobody",
        'add "ALARM_EMAIL": "you@example.com" to .chalice/config.json',
    )


def check(clients: Clients, stages: list[Stage], project_dir: Path) -> list[Problem]:
    """Every problem and warning of these stages, in the order an operator fixes them."""
    problems: list[Problem] = []
    for stage in stages:
        settings = Settings.from_env(stage.environment)
        problems += secret_problems(clients("ssm", stage.region), stage)
        problems += settings_problems(stage, settings, project_dir)
    env = stages[0].env if stages else "ENV"
    for region in sorted({stage.region for stage in stages}):
        finding = trail_finding(clients, region)
        if finding.status is not Status.OK:
            fix = f"python manage.py deploy --env {env} --create-trail, or {finding.fix}"
            problems.append(Problem(Topic.TRAIL, Level.PROBLEM, region, finding.what, fix))
    for stage in stages:
        settings = Settings.from_env(stage.environment)
        warning = alarm_problem(clients("sns", stage.region), stage, settings)
        if warning:
            problems.append(warning)
    return problems


def refuses(problems: list[Problem]) -> bool:
    return any(problem.level is Level.PROBLEM for problem in problems)


def report(env: str, problems: list[Problem]) -> list[str]:
    refused = [p for p in problems if p.level is Level.PROBLEM]
    head = (
        f"check --env {env}: {len(refused)} problem(s), refused"
        if refused
        else f"check --env {env}: ready to deploy"
    )
    return [head] + [f"  {problem.line()}" for problem in problems]


def register(commands: Any) -> None:
    parser = commands.add_parser("check", help="will the env's stages work? (deploy runs it)")
    add_env_options(parser)
    parser.set_defaults(run=run)


def clients_of(aws: Any) -> Clients:
    return lambda service, region: aws.client(service, region_name=region)


def run(args: argparse.Namespace) -> int:
    stages = env_stages(args.env, args.regions, args.project_dir)
    problems = check(clients_of(session()), stages, args.project_dir)
    lines = report(args.env, problems)
    if refuses(problems):
        print("\n".join(lines), file=sys.stderr)
        return EXIT_MISTAKE
    print("\n".join(lines))
    return 0
