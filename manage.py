"""Operator commands: `python manage.py COMMAND --help`.

Each command lives in its own module under tools/ and registers itself here. AWS
clients come from the default boto3 session, so AWS_PROFILE and AWS_ENDPOINT_URL (a
local emulator) apply as usual; a command with `--env` works in its stages' regions.
An operator's mistake (tools/mistakes.py) ends in one line naming the fix, exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tools.mistakes import EXIT_MISTAKE, from_exception

COMMAND_MODULES = (
    "tools.provision",
    "tools.demo",
    "tools.policy",
    "tools.deploy",
    "tools.redrive",
    "tools.audit_regions",
    "tools.backfill",
    "tools.reindex",
    "tools.slack_secrets",
    "tools.check",
    "tools.remove",
    "tools.package",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:  # Ctrl-C, e.g. at a `secrets` prompt
        print(f"manage.py {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        mistake = from_exception(error)
        if mistake is None:
            raise
        print(f"manage.py {args.command}: {mistake.line()}", file=sys.stderr)
        return EXIT_MISTAKE
    return code


if __name__ == "__main__":
    sys.exit(main())
