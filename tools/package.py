"""`manage.py package --stage STAGE` (`make package`): the stage's SAM template for
CloudFormation, with the retries, queues and alarms of `.chalice/sam-merge.json`.

`chalice package` runs with the stage's own region set. The template has no ledger
table: an env's stages share one (`LEDGER_TABLE` in `LEDGER_REGION`), so no single
stage's stack may own it, and deleting a stack must not take the history with it. What
it needs is printed with the commands: the table first (`manage.py provision --env`),
then the stack. An unknown stage is one line, exit 2.

`manage.py package --org` (`make package-org`) writes the member template instead
(tools/org_template.py), for teams that roll StackSets out themselves.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tools.bytecode import compile_app
from tools.org_template import BUS_PARAMETER, ENV_PARAMETER, write_member_template
from tools.stages import PROJECT_DIR, Stage, stage_named

MERGE_TEMPLATE = Path(".chalice") / "sam-merge.json"


def needs(stage: Stage, out: Path) -> list[str]:
    """What the stack needs besides itself, and the commands, in order."""
    stack = f"signin-alerts-{stage.name}"
    return [
        f"{out / 'sam.json'}: the stack of stage {stage.name} for {stage.region}.",
        f"It does not create the ledger table {stage.ledger_table} in {stage.ledger_region} "
        f"(the {stage.env} stages share it; no one stack owns it). Before the stack:",
        f"  python manage.py provision --env {stage.env}",
        f"  python manage.py secrets --env {stage.env}      # the SSM parameters it reads",
        f"  aws cloudformation package --region {stage.region} --s3-bucket <artifacts bucket> "
        f"--template-file {out / 'sam.json'} --output-template-file packaged.json",
        f"  aws cloudformation deploy --region {stage.region} --stack-name {stack} "
        "--template-file packaged.json --capabilities CAPABILITY_IAM",
    ]


def package(stage: Stage, project_dir: Path, out: Path) -> int:
    chalice = Path(sys.executable).parent / "chalice"
    command = [
        str(chalice),
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage.name,
        "--merge-template",
        str(project_dir / MERGE_TEMPLATE),
        str(out),
    ]
    env = {**os.environ, "AWS_DEFAULT_REGION": stage.region}
    compile_app(project_dir)  # zipped with the source: no compiling at cold start
    return subprocess.run(command, env=env, check=False).returncode


def org_needs(path: Path) -> list[str]:
    """How a team rolls the member template out itself (docs/deploy.md#an-organization)."""
    return [
        f"{path}: the member template (one rule per forwarded pattern, and its role).",
        "Its parameters: "
        f"{ENV_PARAMETER} (the env, e.g. prod) and {BUS_PARAMETER} (the us-east-1 default "
        "bus of the account running signin-alerts). That bus must let the organization in "
        "(python manage.py deploy --env ENV --org does it, or see docs/deploy.md). As a "
        "service-managed stack set, from the management account or a delegated admin:",
        "  aws cloudformation create-stack-set --stack-set-name signin-alerts-prod-organization "
        f"--template-body file://{path} --permission-model SERVICE_MANAGED "
        "--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false "
        "--capabilities CAPABILITY_NAMED_IAM --parameters "
        f"ParameterKey={ENV_PARAMETER},ParameterValue=prod "
        f"ParameterKey={BUS_PARAMETER},ParameterValue=arn:aws:events:us-east-1:<account>:"
        "event-bus/default",
        "  aws cloudformation create-stack-instances --stack-set-name "
        "signin-alerts-prod-organization --deployment-targets OrganizationalUnitIds=<root or "
        "OU ids> --regions <every region sign-ins are recorded in>",
        "The management account gets no instance: deploy the template there as a stack, in "
        "each region (docs/deploy.md#an-organization).",
    ]


def register(commands: Any) -> None:
    parser = commands.add_parser("package", help="the stage's SAM template (make package)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--stage", help="<env>-<region>, e.g. prod-us-east-1")
    what.add_argument(
        "--org", action="store_true", help="the member template for a StackSet (make package-org)"
    )
    parser.add_argument("--out", type=Path, help="directory (default: build/<stage> or build/org)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.org:
        path = write_member_template(args.out or args.project_dir / "build" / "org")
        print("\n".join(org_needs(path)))
        return 0
    stage = stage_named(args.stage, args.project_dir, pick="make package STAGE=<stage>, one of")
    out = args.out or args.project_dir / "build" / stage.name
    code = package(stage, args.project_dir, out)
    if code != 0:
        print(
            f"package: chalice package --stage {stage.name} failed (exit {code})", file=sys.stderr
        )
        return 1
    print("\n".join(needs(stage, out)))
    return 0
