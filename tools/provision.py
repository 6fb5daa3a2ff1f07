"""`manage.py provision`: create the ledger table (idempotent)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from chalicelib.ledger import create_ledger_table


def register(commands: Any) -> None:
    parser = commands.add_parser("provision", help="create the ledger table, idempotently")
    parser.add_argument(
        "--table",
        default=os.environ.get("LEDGER_TABLE", "signin-alerts-ledger"),
        help="table name (default: $LEDGER_TABLE or signin-alerts-ledger)",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("LEDGER_REGION") or None,
        help="region (default: $LEDGER_REGION, else the session's region)",
    )
    parser.set_defaults(run=run)


def provision(table: str, region: str | None = None) -> bool:
    import boto3

    client = boto3.session.Session().client("dynamodb", region_name=region)
    return create_ledger_table(client, table)


def run(args: argparse.Namespace) -> int:
    created = provision(args.table, args.region)
    print(f"ledger table {args.table}: {'created' if created else 'already there, checked'}")
    return 0
