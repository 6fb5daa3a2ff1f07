"""Command-line options that several operator commands share."""

from __future__ import annotations

import argparse
import os


def add_ledger_options(parser: argparse.ArgumentParser, *, region_flag: str = "--region") -> None:
    """`--table` and the ledger's region, defaulting to the stage settings' variables."""
    parser.add_argument(
        "--table",
        default=os.environ.get("LEDGER_TABLE", "signin-alerts-ledger"),
        help="ledger table (default: $LEDGER_TABLE or signin-alerts-ledger)",
    )
    parser.add_argument(
        region_flag,
        default=os.environ.get("LEDGER_REGION") or None,
        help="the ledger's region (default: $LEDGER_REGION, else the session's region)",
    )
