"""Region facts the deploy and audit commands share."""

from __future__ import annotations

import math

# Where AWS records console sign-ins through the global endpoint: root always in
# us-east-1; IAM users in us-east-1 or, with an account-alias cookie, in the region of
# the nearest of these. A regional endpoint (eu-west-1.signin...) records in its region.
GLOBAL_SIGNIN_REGIONS = ("us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2")

OTHER_PARTITIONS = ("us-gov-", "cn-", "us-iso")

# Approximate location of each region (latitude, longitude), to pick the nearest stage.
LOCATIONS: dict[str, tuple[float, float]] = {
    "us-east-1": (38.9, -77.4),
    "us-east-2": (40.0, -83.0),
    "us-west-1": (37.4, -121.9),
    "us-west-2": (45.8, -119.7),
    "ca-central-1": (45.5, -73.6),
    "ca-west-1": (51.0, -114.1),
    "mx-central-1": (20.6, -100.4),
    "sa-east-1": (-23.5, -46.6),
    "eu-west-1": (53.3, -6.3),
    "eu-west-2": (51.5, -0.1),
    "eu-west-3": (48.9, 2.4),
    "eu-central-1": (50.1, 8.7),
    "eu-central-2": (47.4, 8.5),
    "eu-north-1": (59.3, 18.1),
    "eu-south-1": (45.5, 9.2),
    "eu-south-2": (41.6, -0.9),
    "il-central-1": (32.1, 34.8),
    "me-south-1": (26.1, 50.6),
    "me-central-1": (25.2, 55.3),
    "af-south-1": (-33.9, 18.4),
    "ap-south-1": (19.1, 72.9),
    "ap-south-2": (17.4, 78.5),
    "ap-east-1": (22.3, 114.2),
    "ap-east-2": (25.0, 121.5),
    "ap-southeast-1": (1.3, 103.8),
    "ap-southeast-2": (-33.9, 151.2),
    "ap-southeast-3": (-6.2, 106.8),
    "ap-southeast-4": (-37.8, 145.0),
    "ap-southeast-5": (3.1, 101.7),
    "ap-southeast-6": (-36.8, 174.8),
    "ap-southeast-7": (13.8, 100.5),
    "ap-northeast-1": (35.7, 139.7),
    "ap-northeast-2": (37.6, 127.0),
    "ap-northeast-3": (34.7, 135.5),
}


def distance_km(a: str, b: str) -> float:
    """Great-circle distance; unknown regions are far from everything."""
    if a not in LOCATIONS or b not in LOCATIONS:
        return math.inf if a != b else 0.0
    (lat1, lon1), (lat2, lon2) = (map(math.radians, LOCATIONS[r]) for r in (a, b))
    cos = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lon1 - lon2)
    return 6371.0 * math.acos(max(-1.0, min(1.0, cos)))


def nearest(region: str, candidates: list[str]) -> str:
    """The candidate closest to `region` (ties and unknowns: the first in name order)."""
    if not candidates:
        raise ValueError("no deployed region to forward to")
    return min(sorted(candidates), key=lambda candidate: distance_km(region, candidate))


def enabled_regions(session: object) -> list[str]:
    """Regions enabled for the account (ec2:DescribeRegions lists only those)."""
    ec2 = session.client("ec2", region_name="us-east-1")  # type: ignore[attr-defined]
    names = (region["RegionName"] for region in ec2.describe_regions()["Regions"])
    # EventBridge cannot forward across partitions (GovCloud, China, ISO).
    return sorted(name for name in names if not name.startswith(OTHER_PARTITIONS))
