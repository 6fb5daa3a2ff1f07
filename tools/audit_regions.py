"""`manage.py audit-regions`: is any sign-in going unseen?

For each region enabled in the account: whether a sign-in recorded there reaches a
deployed stage (a stage's own rule, or a forwarding rule to a region with one), whether
a trail is logging there (without one EventBridge gets no sign-in events), and why AWS
may record sign-ins there. With `--org` (and `--env`), every account of the
organization too (tools/audit_org.py). Exits 1 when any region or account is unwatched.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from chalicelib.watchdog.pipeline import Route, logging_trails, signin_routes
from tools.audit_org import audit_organization
from tools.regions import GLOBAL_SIGNIN_REGIONS, enabled_regions
from tools.stages import APP_NAME, env_stages, ledger_of


@dataclass
class RegionAudit:
    region: str
    routes: list[Route]
    trails_logging: list[str]
    reaches_stage: bool = False

    @property
    def recorded_by(self) -> str:
        if self.region == "us-east-1":
            return "root and global-endpoint sign-ins; regional endpoint"
        if self.region in GLOBAL_SIGNIN_REGIONS:
            return "global-endpoint sign-ins (account alias); regional endpoint"
        return "regional endpoint"

    @property
    def watched(self) -> bool:
        return self.reaches_stage and bool(self.trails_logging)

    @property
    def route_text(self) -> str:
        if not self.routes:
            return "none"
        parts = []
        for route in self.routes:
            if route.function:
                parts.append(f"stage ({route.function.rsplit(':', 1)[-1]})")
            elif route.forwards_to:
                parts.append(f"forwarded to {route.forwards_to}")
            else:
                parts.append(f"rule {route.rule} (other target)")
        return ", ".join(parts)


def audit(session: Any, env: str | None = None) -> list[RegionAudit]:
    """The watchdog's own checks (chalicelib/watchdog/pipeline.py), for every region."""

    def clients(service: str, region: str) -> Any:
        return session.client(service, region_name=region)

    prefix = f"{APP_NAME}-{env}-" if env else None
    audits = []
    for region in enabled_regions(session):
        audits.append(
            RegionAudit(
                region,
                signin_routes(clients("events", region), prefix),
                logging_trails(clients, region),
            )
        )
    with_stage = {a.region for a in audits if any(r.function for r in a.routes)}
    for entry in audits:
        entry.reaches_stage = any(
            route.function or route.forwards_to in with_stage for route in entry.routes
        )
    return audits


def multi_region_trails_logging(session: Any) -> list[str]:
    cloudtrail = session.client("cloudtrail", region_name="us-east-1")
    trails = cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]
    return sorted(
        trail["Name"]
        for trail in trails
        if trail.get("IsMultiRegionTrail")
        and cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging")
    )


def register(commands: Any) -> None:
    parser = commands.add_parser("audit-regions", help="find regions whose sign-ins go unseen")
    parser.add_argument("--env", help="only count this env's stages (default: any rule)")
    parser.add_argument(
        "--org",
        action="store_true",
        help="also every account of the organization (needs --env; from the management "
        "account or a delegated administrator)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    if args.org and not args.env:
        print("audit-regions --org needs --env: the env's stack set is the one audited")
        return 2
    session = boto3.session.Session()
    regions_code = audit_regions(session, args.env)
    if not args.org:
        return regions_code
    ledger = ledger_of(env_stages(args.env))
    org_code = audit_organization(session, args.env, ledger=ledger, out=sys.stdout)
    return max(regions_code, org_code)


def audit_regions(session: Any, env: str | None) -> int:
    audits = audit(session, env)
    width = max(len(a.region) for a in audits) if audits else 10
    print(
        f"{'region':<{width}}  {'watched':<7}  {'sign-ins reach':<40}  {'trail logging':<24}  "
        "AWS records sign-ins here for"
    )
    for entry in audits:
        print(
            f"{entry.region:<{width}}  {'yes' if entry.watched else 'NO':<7}  "
            f"{entry.route_text:<40}  {', '.join(entry.trails_logging) or 'none':<24}  "
            f"{entry.recorded_by}"
        )
    multi = multi_region_trails_logging(session)
    print(f"\nmulti-region trails logging: {len(multi)} ({', '.join(multi) or 'none'})")
    unwatched = [a for a in audits if not a.watched]
    missed = [a.region for a in unwatched if a.region in GLOBAL_SIGNIN_REGIONS]
    if unwatched:
        print(f"{len(unwatched)} of {len(audits)} enabled regions unwatched")
        if missed:
            print(f"  global-endpoint sign-ins are missed in: {', '.join(missed)}")
        if any(not a.reaches_stage for a in unwatched):
            print("  fix: python manage.py deploy --env ENV --forward-from all")
        if any(not a.trails_logging for a in unwatched):
            print(
                "  fix: a multi-region trail that is logging: python manage.py deploy --env ENV "
                "--create-trail (see docs/deploy.md)"
            )
        return 1
    print(f"all {len(audits)} enabled regions watched")
    return 0
