"""A working week of sign-ins, for the picture's demo and bench: people sign in in office
hours on weekdays, a few at night, one root sign-in, and one hour of a password-guessing
storm, over the seven days before `now` (UTC)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from localdev.signins import ACCOUNTS, USERS, Login


def working_week(now: datetime, *, people: int = 6, storm: int = 40, seed: int = 19) -> list[Login]:
    rng = random.Random(seed)
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    logins: list[Login] = []

    def add(at: datetime, **fields: object) -> None:
        if at < now:
            logins.append(Login(event_id=f"week-{seed}-{len(logins):05d}", at=at, **fields))  # type: ignore[arg-type]

    for back in range(7, 0, -1):
        day = today - timedelta(days=back)
        weekday = day.weekday() < 5
        for name in USERS[:people]:
            for _ in range(rng.randint(1, 3) if weekday else rng.randint(0, 1)):
                hour = (
                    rng.choice((8, 9, 9, 10, 11, 13, 14, 15, 16)) if weekday else rng.randint(0, 23)
                )
                add(
                    day + timedelta(hours=hour, minutes=rng.randint(0, 59)),
                    name=name,
                    account_id=ACCOUNTS[USERS.index(name) % len(ACCOUNTS)],
                    source_ip=f"198.51.100.{USERS.index(name) + 10}",
                    mfa=rng.random() > 0.1,
                    success=rng.random() > 0.05,
                )
    night = today - timedelta(days=3) + timedelta(hours=2, minutes=17)
    add(night, name="root", kind="Root", account_id=ACCOUNTS[0], source_ip="203.0.113.66")
    guessed = today - timedelta(days=2) + timedelta(hours=21)
    for n in range(storm):
        add(
            guessed + timedelta(seconds=n * 50),
            name=rng.choice(("admin", "deploy", "backup", "alice")),
            account_id=ACCOUNTS[1],
            source_ip="192.0.2.99",
            success=False,
            mfa=False,
        )
    return sorted(logins, key=lambda login: login.at)
