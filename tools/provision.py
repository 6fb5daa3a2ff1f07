"""`manage.py provision --env ENV`: create the env's ledger table, idempotently, in the
region its stages name (`LEDGER_REGION`), whatever the shell's region.

Without `--env`: the table the config's shared settings name (`LEDGER_TABLE` in its
`LEDGER_REGION`), `--table`/`--region` overriding them (as do the same variables in the
environment, which is how the demo and the tests point it at an emulator's table).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from chalicelib.store.provision import create_ledger_table
from tools.cli import region_list, session
from tools.mistakes import Mistake, OperatorError
from tools.stages import PROJECT_DIR, env_stages, load_config


def register(commands: Any) -> None:
    parser = commands.add_parser("provision", help="create the ledger table, idempotently")
    parser.add_argument("--env", help="the env whose stages' ledger to create (prod, dev, ...)")
    parser.add_argument("--regions", type=region_list, help="only these regions' stages")
    parser.add_argument("--table", help="without --env: the table (default: the config's)")
    parser.add_argument("--region", help="without --env: its region (default: the config's)")
    parser.add_argument("--project-dir", default=PROJECT_DIR, type=Path, help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def provision(table: str, region: str | None = None) -> bool:
    """One table (the demo's and the bench's, on their emulator)."""
    import boto3

    client = boto3.session.Session().client("dynamodb", region_name=region)
    return create_ledger_table(client, table)


def ledgers(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    if args.env and (args.table or args.region):
        raise OperatorError(
            Mistake.STAGE_CONFIG,
            "--table and --region go without --env (the env's stages name their ledger)",
            "drop them, or drop --env",
        )
    if args.env:
        stages = env_stages(args.env, args.regions, args.project_dir)
        return sorted({(s.ledger_table, s.ledger_region) for s in stages})
    shared = load_config(args.project_dir).get("environment_variables", {})
    table = args.table or os.environ.get("LEDGER_TABLE") or shared.get("LEDGER_TABLE")
    region = args.region or os.environ.get("LEDGER_REGION") or shared.get("LEDGER_REGION")
    return [(table or "signin-alerts-ledger", region or None)]


def run(args: argparse.Namespace) -> int:
    aws = session()
    for table, region in ledgers(args):
        client = aws.client("dynamodb", region_name=region)
        created = create_ledger_table(client, table)
        state = "created" if created else "already there, checked"
        print(f"ledger table {table} in {client.meta.region_name}: {state}")
    return 0
