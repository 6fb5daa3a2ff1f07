"""The member template: what each account of the organization holds, in each region.

One EventBridge rule per entry of `FORWARDED_PATTERNS` on the member's default bus,
each sending what it matches to the central bus (the us-east-1 stage's default bus in
the account that runs signin-alerts), and the role EventBridge needs for a target in
another account: trusted by events.amazonaws.com for this account's rules only, allowed
`events:PutEvents` on that one bus and nothing else. Plain CloudFormation (a
service-managed stack set cannot use a transform), so `manage.py deploy --org` rolls it
out as a StackSet and `make package-org` writes it for teams that roll out their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.signin.pattern import FORWARDED_PATTERNS
from tools.hardening import RULE_MAX_EVENT_AGE_SECONDS, RULE_MAX_RETRIES
from tools.stages import APP_NAME

ENV_PARAMETER = "Env"
BUS_PARAMETER = "CentralEventBusArn"
ROLE_RESOURCE = "ForwardRole"
TARGET_ID = "central-bus"
TEMPLATE_FILE = "member.json"
BUS_ARN_PATTERN = r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/default$"


def rule_resource(key: str) -> str:
    """`signins` -> `ForwardSigninsRule` (CloudFormation's logical ids are alphanumeric)."""
    words = key.replace("-", "_").split("_")
    return "Forward" + "".join(word.capitalize() for word in words) + "Rule"


def member_rule_name(env: str, key: str) -> str:
    """`signin-alerts-prod-forward-signins`: the name `--forward-from` gives its rule."""
    return f"{APP_NAME}-{env}-forward-{key}"


def member_role_name(env: str, region: str) -> str:
    """IAM names are account-wide and the template runs once per region: the region is in
    the name."""
    return f"{APP_NAME}-{env}-org-forward-{region}"


def _rule(key: str, pattern: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Name": {"Fn::Sub": member_rule_name("${Env}", key)},
            "Description": f"{APP_NAME}: forward {key} to the organization's central bus",
            "EventBusName": "default",
            "EventPattern": pattern,
            "State": "ENABLED",
            "Targets": [
                {
                    "Id": TARGET_ID,
                    "Arn": {"Ref": BUS_PARAMETER},
                    "RoleArn": {"Fn::GetAtt": [ROLE_RESOURCE, "Arn"]},
                    "RetryPolicy": {
                        "MaximumRetryAttempts": RULE_MAX_RETRIES,
                        "MaximumEventAgeInSeconds": RULE_MAX_EVENT_AGE_SECONDS,
                    },
                }
            ],
        },
    }


def _role() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": {"Fn::Sub": member_role_name("${Env}", "${AWS::Region}")},
            "Description": f"{APP_NAME}: EventBridge puts forwarded events on the central bus",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        # Only this account's rules, never a confused deputy elsewhere.
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                        },
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "put-events",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "events:PutEvents",
                                "Resource": {"Ref": BUS_PARAMETER},
                            }
                        ],
                    },
                }
            ],
        },
    }


def member_template(patterns: dict[str, dict[str, Any]] = FORWARDED_PATTERNS) -> dict[str, Any]:
    """The template, from the patterns forwarders carry (one rule each)."""
    resources: dict[str, Any] = {ROLE_RESOURCE: _role()}
    for key, pattern in sorted(patterns.items()):
        resources[rule_resource(key)] = _rule(key, pattern)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: forward this account's console sign-ins to the central bus",
        "Parameters": {
            ENV_PARAMETER: {
                "Type": "String",
                "Default": "prod",
                "AllowedPattern": "^[a-z][a-z0-9]*$",
                "MaxLength": 20,
                "Description": "the signin-alerts env (stage prefix) the central bus serves",
            },
            BUS_PARAMETER: {
                "Type": "String",
                "AllowedPattern": BUS_ARN_PATTERN,
                "Description": "the default bus of the us-east-1 stage's account",
            },
        },
        "Resources": resources,
        "Outputs": {
            "ForwardRoleArn": {"Value": {"Fn::GetAtt": [ROLE_RESOURCE, "Arn"]}},
        },
    }


def template_body(template: dict[str, Any] | None = None) -> str:
    """The JSON CloudFormation gets (and compares against on a second run)."""
    return json.dumps(template or member_template(), indent=2, sort_keys=True) + "\n"


def write_member_template(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / TEMPLATE_FILE
    path.write_text(template_body())
    return path
