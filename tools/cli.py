"""Command-line options that several operator commands share."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tools.stages import PROJECT_DIR


def region_list(raw: str) -> list[str]:
    """`us-east-1,us-west-2` -> ["us-east-1", "us-west-2"]."""
    return [region.strip() for region in raw.split(",") if region.strip()]


def add_env_options(parser: argparse.ArgumentParser, *, regions: bool = True) -> None:
    """`--env` (required: the stages, and so the regions, ledger and settings, come from
    .chalice/config.json, never from the shell), `--regions` to pick some of its stages."""
    parser.add_argument("--env", required=True, help="stage prefix: prod, dev, ...")
    if regions:
        parser.add_argument(
            "--regions",
            type=region_list,
            help="comma-separated (default: every region with an <env>-<region> stage)",
        )
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help=argparse.SUPPRESS)


def session() -> Any:
    """The default boto3 session: AWS_PROFILE, credentials and AWS_ENDPOINT_URL apply."""
    import boto3

    return boto3.session.Session()
