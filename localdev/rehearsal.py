"""`make rehearse`: the whole two-region deploy, offline, on the embedded emulator.

A moto server in this process (patched to take what Chalice sends:
localdev/chalice_moto.py, and to run service-managed StackSets as AWS documents:
localdev/org_moto.py), a throwaway copy of the project (so `.chalice/deployed/` is
never written into the repository), pip kept off the internet (a wheelhouse built from
the installed packages), fake credentials, and a small organization (three member
accounts in two OUs, one nested) whose management account deploys. Then what
docs/deploy.md has a user run: `manage.py secrets`, `manage.py deploy --create-trail
--forward-from all --org`, `manage.py audit-regions`; and what it made, region by
region and account by account, with the URLs to paste.
The deploy tests run `rehearse` itself (tests/deploy/test_make_rehearse.py).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from localdev.aws import LocalAws
from localdev.chalice_moto import chalice_ready_moto
from localdev.inventory import account_inventory, grouped, region_inventory
from localdev.org_moto import org_ready_moto
from localdev.wheelhouse import build_wheelhouse
from tools.org_stackset import stack_set_name
from tools.stages import APP_NAME, PROJECT_DIR

PROJECT_FILES = ("app.py", "chalicelib", "requirements.txt", ".chalice", "slack")
# Placeholders in Slack's shapes: the rehearsal never reaches Slack.
WEBHOOK = "https://hooks.slack.com/services/T0REHEARSE/B0REHEARSE/rehearsalrehearsal"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
ENV = "prod"
# The emulator's organization: (account name, OU path under the root).
SAMPLE_MEMBERS = (("payments-prod", "Workloads/Prod"), ("payments-dev", "Workloads"),
                  ("sandbox", "Sandbox"))  # fmt: skip


def copy_project(dest: Path, source: Path = PROJECT_DIR) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        if (source / name).is_dir():
            shutil.copytree(
                source / name, dest / name, ignore=shutil.ignore_patterns("deployed", "deployments")
            )
        else:
            shutil.copy2(source / name, dest / name)
    return dest


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    """Chalice packages requirements.txt with pip: keep pip off the internet."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}


@contextlib.contextmanager
def environment(values: dict[str, str], drop: tuple[str, ...] = ()) -> Iterator[None]:
    """os.environ with `values` set and `drop` removed, put back as it was on exit."""
    saved = dict(os.environ)
    os.environ.update(values)
    for name in drop:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def emulated_aws(wheelhouse: Path) -> Iterator[str]:
    """A moto server Chalice can deploy to, offline pip and fake credentials, for as
    long as it is open; yields the endpoint URL."""
    with (
        LocalAws() as aws,
        chalice_ready_moto(),
        org_ready_moto(),
        environment({**aws.env, **offline_pip_env(wheelhouse)}, drop=("AWS_PROFILE",)),
    ):
        yield aws.endpoint_url


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    exit_code: int
    output: str
    seconds: float


def run_step(*argv: str) -> Step:
    import manage

    started = time.perf_counter()
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        code = manage.main(list(argv))
    return Step(argv, code, captured.getvalue(), time.perf_counter() - started)


@dataclass(frozen=True)
class Rehearsal:
    steps: list[Step]
    made: list[str]  # what exists afterwards, region by region
    seconds: float

    @property
    def ok(self) -> bool:
        return all(step.exit_code == 0 for step in self.steps)

    @property
    def paste(self) -> list[str]:
        """deploy's lines with the request URLs to paste into the Slack app."""
        return [
            line
            for step in self.steps
            for line in step.output.splitlines()
            if line.startswith(("Paste into", "and into its"))
        ]


def sample_organization(clients: Any) -> None:
    """An organization whose management account is the emulator's default account."""
    organizations = clients("organizations", "us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    units: dict[str, str] = {"": root}
    for name, path in SAMPLE_MEMBERS:
        parent = ""
        for part in path.split("/"):
            unit = f"{parent}/{part}".lstrip("/")
            if unit not in units:
                units[unit] = organizations.create_organizational_unit(
                    ParentId=units[parent], Name=part
                )["OrganizationalUnit"]["Id"]
            parent = unit
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
        organizations.move_account(
            AccountId=status["CreateAccountStatus"]["AccountId"],
            SourceParentId=root,
            DestinationParentId=units[path],
        )


def org_inventory(clients: Any) -> list[str]:
    """The stack set's instances, by account (the members' rules and roles are theirs)."""
    cfn = clients("cloudformation", "us-east-1")
    name = stack_set_name(ENV)
    try:
        summaries = cfn.list_stack_instances(StackSetName=name)["Summaries"]
    except cfn.exceptions.StackSetNotFoundException:
        return []
    regions: dict[str, set[str]] = {}
    for summary in summaries:
        regions.setdefault(summary["Account"], set()).add(summary["Region"])
    return [f"StackSet {name}: instances in {len(regions)} member accounts"] + [
        f"  {account}: {len(found)} regions" for account, found in sorted(regions.items())
    ]


def rehearse(project: Path, endpoint: str, out: TextIO) -> Rehearsal:
    """The user's commands against the emulator at `endpoint`, each shown on `out` as it
    runs (chalice's own lines come first: it is a subprocess); stops at a failed step."""
    import boto3

    started = time.perf_counter()

    def clients(service: str, region: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service, region_name=region, endpoint_url=endpoint
        )

    sample_organization(clients)
    where = ("--project-dir", str(project))
    commands = [
        ("secrets", "--env", ENV, "--webhook-url", WEBHOOK, "--signing-secret", SIGNING_SECRET),
        ("deploy", "--env", ENV, "--create-trail", "--forward-from", "all", "--org"),
        ("audit-regions", "--env", ENV),
    ]
    steps: list[Step] = []
    for command in commands:
        extra = where if command[0] != "audit-regions" else ()
        print(f"$ python manage.py {' '.join(command)}", file=out, flush=True)
        steps.append(run_step(*command, *extra))
        print(steps[-1].output.rstrip(), file=out)
        print(f"({steps[-1].seconds:.1f} s, exit {steps[-1].exit_code})\n", file=out, flush=True)
        if steps[-1].exit_code != 0:
            break

    regions = clients("ec2", "us-east-1").describe_regions()["Regions"]
    inventories = [
        region_inventory(clients, region, APP_NAME, ENV)
        for region in sorted(r["RegionName"] for r in regions)
    ]
    made = account_inventory(clients, APP_NAME, ENV) + grouped(inventories) + org_inventory(clients)
    return Rehearsal(steps, made, time.perf_counter() - started)


def show(rehearsal: Rehearsal, out: TextIO) -> None:
    print("What the rehearsal made for prod:", file=out)
    print("\n".join(rehearsal.made), file=out)
    print("\n".join(["", *rehearsal.paste]), file=out)
    verdict = "ok" if rehearsal.ok else "FAILED"
    print(f"\nrehearsal {verdict} in {rehearsal.seconds:.1f} s (emulator: moto)", file=out)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="rehearse-") as scratch:
        root = Path(scratch)
        wheelhouse = build_wheelhouse(PROJECT_DIR / "requirements.txt", root / "wheels")
        project = copy_project(root / "project")
        with emulated_aws(wheelhouse) as endpoint:
            rehearsal = rehearse(project, endpoint, sys.stdout)
        show(rehearsal, sys.stdout)
    return 0 if rehearsal.ok else 1


if __name__ == "__main__":
    sys.exit(main())
