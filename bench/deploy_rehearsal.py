"""How long `manage.py deploy --env prod` takes for both regions, first and second run,
and how big the deployment package is: against a local moto server, offline.

    .venv/bin/python -m bench.deploy_rehearsal
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

import manage
from tests.deploy.conftest import copy_project, rehearsal_aws
from tests.deploy.wheelhouse import build_wheelhouse
from tools.stages import PROJECT_DIR


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch, pytest.MonkeyPatch.context() as patch:
        root = Path(scratch)
        wheelhouse = build_wheelhouse(PROJECT_DIR / "requirements.txt", root / "wheels")
        project = copy_project(root / "project")
        with rehearsal_aws(wheelhouse, patch) as fake:
            fake.ready_for_deploy("prod", project)
            argv = ["deploy", "--env", "prod", "--project-dir", str(project)]
            for run in ("first", "second"):
                started = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    code = manage.main(argv)
                elapsed = time.perf_counter() - started
                changes = [line for line in out.getvalue().splitlines() if "change(s)" in line]
                print(f"deploy both regions, {run} run: {elapsed:.1f} s, exit {code}, {changes[0]}")
        [package] = (project / ".chalice" / "deployments").glob("*.zip")
        with zipfile.ZipFile(package) as archive:
            files = len(archive.namelist())
        print(f"dependency package: {os.path.getsize(package) / 1024:.0f} KiB, {files} files")


if __name__ == "__main__":
    main()
