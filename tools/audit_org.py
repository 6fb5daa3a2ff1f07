"""`manage.py audit-regions --env ENV --org`: every account of the organization.

The watchdog's organization checks (chalicelib/watchdog/organization.py), run once from
the management account or a delegated administrator: each account's stack instance in
each region the env's StackSet covers, the problems with their fixes, and the members
that sent no sign-in in 30 days (from the env's ledger).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TextIO

from chalicelib.watchdog.findings import FORWARDING_CHECKER_REGION, Finding, Status, stack_set_name
from chalicelib.watchdog.organization import (
    OrganizationView,
    instance_findings,
    quiet_findings,
    read_view,
)


def account_rows(view: OrganizationView) -> list[list[str]]:
    """One row per account: its label, then its instance status in each region."""
    instances = view.instances or []
    regions = sorted({instance.region for instance in instances})
    status = {(i.account_id, i.region): i.status for i in instances}
    rows = [["account", "state", *regions]]
    for member in sorted(view.members, key=lambda m: (m.name.lower(), m.account_id)):
        state = "active" if member.active else "not active"
        # StackSets never deploy to the management account: deploy --org forwards its
        # regions itself (the region table above shows them).
        if member.account_id == view.management_account:
            state = "management"
        cells = [status.get((member.account_id, region), "none") for region in regions]
        if member.account_id == view.management_account:
            cells = ["-"] * len(regions)
        rows.append([view.label(member.account_id), state, *cells])
    return rows


def audit_organization(
    session: Any,
    env: str,
    *,
    ledger: tuple[str, str] | None,
    out: TextIO,
    now: datetime | None = None,
) -> int:
    """Print the organization's accounts and problems; 1 when any account is unwatched."""

    def clients(service: str, region: str) -> Any:
        return session.client(service, region_name=region)

    own = session.client("sts", region_name=FORWARDING_CHECKER_REGION).get_caller_identity()
    view = read_view(clients, FORWARDING_CHECKER_REGION, str(own["Account"]), env)
    rows = account_rows(view)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    print(f"\norganization: stack set {stack_set_name(env)}", file=out)
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)), file=out
        )
    findings: list[Finding] = instance_findings(view, env, FORWARDING_CHECKER_REGION)
    if ledger is not None:
        table, region = ledger
        dynamodb = clients("dynamodb", region)
        findings += quiet_findings(
            view, dynamodb, table, FORWARDING_CHECKER_REGION, now or datetime.now(UTC)
        )
    problems = [finding for finding in findings if finding.status is Status.PROBLEM]
    for finding in findings:
        word = "PROBLEM" if finding.status is Status.PROBLEM else "hint"
        print(f"{word}: {finding.what}\n  fix: {finding.fix}", file=out)
    members = sum(1 for member in view.members if member.active)
    if problems:
        print(f"{len(problems)} problems in {members} active accounts", file=out)
        return 1
    print(f"every one of {members} active accounts forwards its sign-ins", file=out)
    return 0
