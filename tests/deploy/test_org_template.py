"""GIVEN the patterns forwarders carry WHEN the member template is built (`manage.py
package --org`, `make package-org`) THEN it holds one rule per pattern, each sending to
the central bus through one role that may only put events on that bus, and it passes
cfn-lint in every region signin-alerts knows (a template past a documented limit does
not: the lint is no formality)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.signin.pattern import FORWARDED_PATTERNS
from tests.deploy.operator import run_manage
from tools.org_template import (
    BUS_PARAMETER,
    ROLE_RESOURCE,
    TEMPLATE_FILE,
    member_template,
    rule_resource,
)
from tools.regions import LOCATIONS

BIN = Path(sys.executable).parent
ACCOUNT_CHANGES = {"source": ["aws.organizations"], "detail-type": ["AWS API Call via CloudTrail"]}


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("org-package")
    run = run_manage("package", "--org", "--out", str(out))
    assert run.exit_code == 0, run.output
    return out / TEMPLATE_FILE, run.out


@pytest.fixture(scope="module")
def lint_findings(packaged: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """cfn-lint once, in every region tools/regions.py knows, over the packaged template
    and one whose retries exceed EventBridge's limit (185)."""
    path, _ = packaged
    broken = copy.deepcopy(json.loads(path.read_text()))
    rule = broken["Resources"][rule_resource("signins")]["Properties"]
    rule["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"] = 186
    broken_path = tmp_path_factory.mktemp("broken") / "broken.json"
    broken_path.write_text(json.dumps(broken))
    command = [str(BIN / "cfn-lint"), "--format", "parseable", "--regions", *LOCATIONS]
    completed = subprocess.run(
        [*command, "--", str(path), str(broken_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings: dict[str, list[str]] = {"packaged": [], "broken": []}
    for line in completed.stdout.splitlines():
        findings["broken" if line.startswith(str(broken_path)) else "packaged"].append(line)
    return findings


def test_package_org_writes_the_template_and_says_how_to_roll_it_out(
    packaged: tuple[Path, str],
) -> None:
    path, out = packaged
    assert json.loads(path.read_text()) == member_template()
    assert "--permission-model SERVICE_MANAGED" in out
    assert "RetainStacksOnAccountRemoval=false" in out
    assert "create-stack-instances" in out


def test_the_member_template_passes_cfn_lint_in_every_region(lint_findings: Any) -> None:
    assert lint_findings["packaged"] == []


def test_cfn_lint_rejects_retries_beyond_eventbridges_limit(lint_findings: Any) -> None:
    [finding] = lint_findings["broken"]
    rule = finding.removeprefix(finding.split(":")[0] + ":").split(":")[4]
    assert rule.startswith("E")  # an error, not a warning
    assert "186" in finding


@pytest.mark.parametrize(
    "patterns",
    [FORWARDED_PATTERNS, {**FORWARDED_PATTERNS, "account_changes": ACCOUNT_CHANGES}],
    ids=["today", "with-account-changes"],
)
def test_one_rule_per_forwarded_pattern_each_to_the_central_bus(
    patterns: dict[str, dict[str, Any]],
) -> None:
    template = member_template(patterns)
    rules = of_type(template, "AWS::Events::Rule")

    assert sorted(rules) == sorted(rule_resource(key) for key in patterns)
    for key, pattern in patterns.items():
        rule = rules[rule_resource(key)]["Properties"]
        assert rule["EventPattern"] == pattern and rule["EventBusName"] == "default"
        [target] = rule["Targets"]
        assert target["Arn"] == {"Ref": BUS_PARAMETER}
        assert target["RoleArn"] == {"Fn::GetAtt": [ROLE_RESOURCE, "Arn"]}


def test_the_role_may_only_put_events_on_the_central_bus_for_its_own_account() -> None:
    template = member_template({**FORWARDED_PATTERNS, "account_changes": ACCOUNT_CHANGES})
    [role] = of_type(template, "AWS::IAM::Role").values()
    properties = role["Properties"]

    [policy] = properties["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": {"Ref": BUS_PARAMETER}}
    ]
    assert "ManagedPolicyArns" not in properties
    [trust] = properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    # IAM names are account-wide and the template runs once per region
    assert "${AWS::Region}" in properties["RoleName"]["Fn::Sub"]
