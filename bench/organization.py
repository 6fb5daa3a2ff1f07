"""The organization's copy in the ledger (chalicelib/organization/stored.py): how large
its item is and how long a container takes to load it, at 500, 5,000 and 20,000
accounts (DynamoDB's item limit is 400 KB). `python -m bench.organization`."""

from __future__ import annotations

import random
import statistics
import time

from chalicelib.organization.roster import MemberAccount, Roster, RosterStatus
from chalicelib.organization.stored import roster_of, roster_put

OUS = (
    *(f"Workloads/{team}" for team in ("Payments", "Billing", "Search", "Data", "Identity")),
    *(f"Sandbox/Team{n}" for n in range(10)),
    "Security",
    "Infrastructure",
)


def organization(size: int, rng: random.Random) -> Roster:
    accounts = tuple(
        MemberAccount(
            f"{rng.randrange(10**11, 10**12):012d}",
            f"{rng.choice(['payments', 'billing', 'search', 'data', 'team'])}-"
            f"{rng.choice(['prod', 'dev', 'staging'])}-{n}",
            "ACTIVE",
            rng.choice(OUS),
        )
        for n in range(size)
    )
    return Roster(RosterStatus.READ, 1.0, "o-abcdefghij", "111122223333", accounts)


def main() -> None:
    rng = random.Random(17)
    print("accounts  item bytes  load ms (median of 20)")
    for size in (500, 5_000, 20_000):
        item = roster_put("ledger", organization(size, rng))["Put"]["Item"]
        times = []
        for _ in range(20):
            started = time.perf_counter()
            roster_of(item)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{size:>8,}  {len(item['accounts']['S']):>10,}  {statistics.median(times):>7.2f}")


if __name__ == "__main__":
    main()
