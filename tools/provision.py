"""`manage.py provision --env ENV`: create the env's ledger table, idempotently, in the
region its stages name (`LEDGER_REGION`), whatever the shell's region."""

from __future__ import annotations

import argparse
from typing import Any

from chalicelib.store.provision import create_ledger_table
from tools.cli import add_env_options, session
from tools.stages import env_stages


def register(commands: Any) -> None:
    parser = commands.add_parser("provision", help="create the env's ledger table, idempotently")
    add_env_options(parser)
    parser.set_defaults(run=run)


def provision(table: str, region: str | None = None) -> bool:
    """One table (the demo's and the bench's, on their emulator)."""
    import boto3

    client = boto3.session.Session().client("dynamodb", region_name=region)
    return create_ledger_table(client, table)


def run(args: argparse.Namespace) -> int:
    aws = session()
    stages = env_stages(args.env, args.regions, args.project_dir)
    for table, region in sorted({(s.ledger_table, s.ledger_region) for s in stages}):
        created = create_ledger_table(aws.client("dynamodb", region_name=region), table)
        state = "created" if created else "already there, checked"
        print(f"ledger table {table} in {region}: {state}")
    return 0
