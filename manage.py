"""Operator commands: `python manage.py COMMAND --help`.

Each command lives in its own module under tools/ and registers itself here. AWS
clients come from the default boto3 session, so AWS_PROFILE, AWS_DEFAULT_REGION and
AWS_ENDPOINT_URL (a local emulator) apply as usual.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "tools.provision",
    "tools.demo",
    "tools.policy",
    "tools.deploy",
    "tools.redrive",
    "tools.audit_regions",
    "tools.backfill",
    "tools.reindex",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
