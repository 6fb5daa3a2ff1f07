"""`manage.py provision`: create the ledger table (idempotent)."""

from __future__ import annotations

import argparse
from typing import Any

from chalicelib.store.provision import create_ledger_table
from tools.cli import add_ledger_options


def register(commands: Any) -> None:
    parser = commands.add_parser("provision", help="create the ledger table, idempotently")
    add_ledger_options(parser)
    parser.set_defaults(run=run)


def provision(table: str, region: str | None = None) -> bool:
    import boto3

    client = boto3.session.Session().client("dynamodb", region_name=region)
    return create_ledger_table(client, table)


def run(args: argparse.Namespace) -> int:
    created = provision(args.table, args.region)
    print(f"ledger table {args.table}: {'created' if created else 'already there, checked'}")
    return 0
