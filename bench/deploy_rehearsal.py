"""How long `manage.py deploy --env prod` takes for both regions, first and second run,
and how big the deployment package is: against a local moto server, offline.

    .venv/bin/python -m bench.deploy_rehearsal
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from localdev.rehearsal import SIGNING_SECRET, WEBHOOK, copy_project, emulated_aws, run_step
from localdev.wheelhouse import build_wheelhouse
from tools.stages import PROJECT_DIR


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        wheelhouse = build_wheelhouse(PROJECT_DIR / "requirements.txt", root / "wheels")
        project = copy_project(root / "project")
        where = ("--project-dir", str(project))
        with emulated_aws(wheelhouse):
            secrets = ("--webhook-url", WEBHOOK, "--signing-secret", SIGNING_SECRET)
            assert run_step("secrets", "--env", "prod", *secrets, *where).exit_code == 0
            for run in ("first", "second"):
                step = run_step("deploy", "--env", "prod", "--create-trail", *where)
                changes = [line for line in step.output.splitlines() if "change(s)" in line]
                print(
                    f"deploy both regions, {run} run: {step.seconds:.1f} s, "
                    f"exit {step.exit_code}, {changes[0] if changes else step.output[-300:]}"
                )
        [package] = (project / ".chalice" / "deployments").glob("*.zip")
        with zipfile.ZipFile(package) as archive:
            files = len(archive.namelist())
        print(f"dependency package: {os.path.getsize(package) / 1024:.0f} KiB, {files} files")


if __name__ == "__main__":
    main()
