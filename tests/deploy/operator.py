"""Running `manage.main` as an operator would, and a throwaway copy of the project's
stage config to run it on (so `.chalice/config.json` in the repository never changes)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import manage
from tools.stages import PROJECT_DIR

WEBHOOK = "https://hooks.slack.com/services/T0TEAM42/B0HOOK/abcdefghijklmnop"
TEAM_ID = "T0TEAM42"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234-5678-abcdefghijkl"


@dataclass
class Run:
    exit_code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run_manage(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = manage.main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def stage_config_copy(dest: Path) -> Path:
    """`.chalice/` alone (config and policy files): enough for every command but deploy."""
    shutil.copytree(
        PROJECT_DIR / ".chalice",
        dest / ".chalice",
        ignore=shutil.ignore_patterns("deployed", "deployments"),
    )
    return dest


def edit_config(project: Path, change: Any) -> None:
    path = project / ".chalice" / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config, indent=2) + "\n")


def add_trail(client: Any) -> None:
    """A multi-region trail that is logging (client: a factory (service, region))."""
    cloudtrail = client("cloudtrail", "us-east-1")
    if cloudtrail.describe_trails()["trailList"]:
        return
    client("s3", "us-east-1").create_bucket(Bucket="trail-logs")
    cloudtrail.create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="org-trail")
