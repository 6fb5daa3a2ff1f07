"""`manage.py policies`: write each stage's least-privilege IAM policy file.

Chalice's automatic policy does not look inside `on_cw_event` handlers, so every stage
uses `autogen_policy: false` and the file written here. The policy is derived from the
stage's settings (table, ledger region, SSM parameter names), so it cannot drift from
them; `--check` fails when a committed file differs from what this module would write.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from chalicelib.settings import Settings
from chalicelib.signin.pattern import FORWARDED_PATTERNS
from chalicelib.watchdog.findings import (
    FORWARDING_CHECKER_REGION,
    forward_rule_name,
    stack_set_name,
)
from tools.stages import PROJECT_DIR, Stage, load_stages

# What chalicelib calls on the ledger: the pipeline's BatchGetItem and its commit
# (TransactWriteItems, authorised part by part as PutItem and UpdateItem), claims and the
# "sent" mark (UpdateItem), and Query on the table and its indexes for /recent-logins;
# "Was this you?" (chalicelib/confirm) uses GetItem, UpdateItem, BatchGetItem and a Query
# of the confirm_pending index.
LEDGER_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
)


def _ssm_arn(region: str, parameter: str) -> str:
    return f"arn:aws:ssm:{region}:*:parameter/{parameter.lstrip('/')}"


def stage_policy(stage: Stage) -> dict[str, Any]:
    table = f"arn:aws:dynamodb:{stage.ledger_region}:*:table/{stage.ledger_table}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Ledger",
            "Effect": "Allow",
            "Action": list(LEDGER_ACTIONS),
            "Resource": [table, f"{table}/index/*"],
        },
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{stage.region}:*:log-group:/aws/lambda/"
            f"{stage.function_prefix}*",
        },
        {
            # Lambda sends failed async invocations to the on-failure destination with the
            # function's own role.
            "Sid": "OnFailureDestination",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": f"arn:aws:sqs:{stage.region}:*:{stage.failure_queue}",
        },
    ]
    statements += watchdog_statements(stage)
    statements.append(organization_statement())
    parameters = sorted(set(stage.secret_parameters.values()))
    if parameters:
        statements += [
            {
                "Sid": "StageSecrets",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [_ssm_arn(stage.region, name) for name in parameters],
            },
            {
                # SecureStrings are decrypted with KMS, but only on SSM's behalf.
                "Sid": "DecryptSecretsViaSsm",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": f"arn:aws:kms:{stage.region}:*:key/*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"ssm.{stage.region}.amazonaws.com"}
                },
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def organization_statement() -> dict[str, Any]:
    """Reads only (chalicelib/organization/reader.py): the organization, its accounts'
    names and states, each account's OU path. Organizations answers them only in the
    management account or for a delegated administrator; elsewhere the app names
    accounts from ACCOUNT_NAMES. ListAccounts and DescribeOrganization have no resource
    to name; the organization's ARNs hold its id, which a stage's policy cannot know."""
    return {
        "Sid": "OrganizationNames",
        "Effect": "Allow",
        "Action": [
            "organizations:DescribeOrganization",
            "organizations:ListAccounts",
            "organizations:ListParents",
            "organizations:DescribeOrganizationalUnit",
        ],
        "Resource": "*",
    }


def watchdog_statements(stage: Stage) -> list[dict[str, Any]]:
    """Only reads (chalicelib/watchdog/): trails, the stage's rule (and, in us-east-1, the
    forwarding rules), the undelivered queue (peeked: read and made visible at once)."""
    rules = [
        f"arn:aws:events:{stage.region}:*:rule/{stage.function_prefix}-{function}-event"
        for function in ("console_signin", "account_change")
    ]
    if stage.region == FORWARDING_CHECKER_REGION:
        rules += [
            f"arn:aws:events:*:*:rule/{forward_rule_name(stage.env, kind)}"
            for kind in FORWARDED_PATTERNS
        ]
    return [
        *organization_statements(stage),
        {
            # DescribeTrails has no resource-level permissions.
            "Sid": "WatchdogListTrails",
            "Effect": "Allow",
            "Action": ["cloudtrail:DescribeTrails"],
            "Resource": "*",
        },
        {
            "Sid": "WatchdogTrailStatus",
            "Effect": "Allow",
            "Action": ["cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
            "Resource": "arn:aws:cloudtrail:*:*:trail/*",
        },
        {
            "Sid": "WatchdogRules",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:ListTargetsByRule"],
            "Resource": rules,
        },
        {
            "Sid": "WatchdogQueue",
            "Effect": "Allow",
            "Action": ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            "Resource": f"arn:aws:sqs:{stage.region}:*:{stage.failure_queue}",
        },
    ]


def organization_statements(stage: Stage) -> list[dict[str, Any]]:
    """ORGANIZATION_WATCH, in the us-east-1 stage: the env's stack set's instances, and
    the organization's accounts (Organizations has no resource-level permission for
    DescribeOrganization and ListAccounts)."""
    watches = Settings.from_env(stage.environment).organization_watch
    if not watches or stage.region != FORWARDING_CHECKER_REGION:
        return []
    name = stack_set_name(stage.env)
    return [
        {
            "Sid": "WatchdogStackInstances",
            "Effect": "Allow",
            "Action": ["cloudformation:ListStackInstances"],
            "Resource": f"arn:aws:cloudformation:{stage.region}:*:stackset/{name}:*",
        },
        {
            "Sid": "WatchdogOrganizationAccounts",
            "Effect": "Allow",
            "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"],
            "Resource": "*",
        },
    ]


def policy_path(stage: Stage, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / ".chalice" / stage.policy_file


def render(stage: Stage) -> str:
    return json.dumps(stage_policy(stage), indent=2) + "\n"


def register(commands: Any) -> None:
    parser = commands.add_parser("policies", help="write each stage's IAM policy file")
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def policy_problem(stage: Stage, project_dir: Path = PROJECT_DIR) -> str | None:
    """None when the stage's policy file is what its settings say, else what is wrong."""
    path = policy_path(stage, project_dir)
    if not path.is_file():
        return f"{path.name} is missing"
    if path.read_text() != render(stage):
        return f"{path.name} is out of date with the stage's settings"
    return None


def run(args: argparse.Namespace) -> int:
    stale = []
    for stage in load_stages(args.project_dir).values():
        path = policy_path(stage, args.project_dir)
        current = path.read_text() if path.exists() else ""
        if current == render(stage):
            continue
        if args.check:
            stale.append(path.name)
        else:
            path.write_text(render(stage))
            print(f"wrote .chalice/{path.name}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run `python manage.py policies`")
        return 1
    return 0
