"""Words for a burst: its title and how long it lasted."""

from __future__ import annotations

from chalicelib.storms.decision import Dimension, WindowCount, subject_words, unit_words

MAX_TITLE_NAMES = 3  # watched principals a spraying title names


def duration_words(seconds: int) -> str:
    seconds = max(0, seconds)
    if seconds < 60:
        return f"{seconds} second" + ("" if seconds == 1 else "s")
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    return f"{round(minutes / 60)} hours"


def burst_title(count: WindowCount, *, failures: int | None = None) -> str:
    """ "possible brute force on root: 5 failed sign-ins in 4 minutes from 2 IPs"."""
    subject = count.subject
    span = duration_words(count.last_epoch - count.first_epoch)
    if subject.dimension is Dimension.SPRAY:
        total = f", {failures} failed sign-ins" if failures else ""
        text = f"possible {subject_words(subject)}: {count.count} user names{total} in {span}"
        if count.watched:  # a real user worth a look among the guesses: say so first
            who = "principal" if len(count.watched) == 1 else "principals"
            text += f", tried watched {who} " + ", ".join(count.watched[:MAX_TITLE_NAMES])
            if len(count.watched) > MAX_TITLE_NAMES:
                text += f" and {len(count.watched) - MAX_TITLE_NAMES} more"
        return text
    text = f"possible {subject_words(subject)}: {count.count} {unit_words(subject.dimension)}"
    text += f" in {span}"
    if subject.dimension is not Dimension.IP:
        ips = count.distinct_ips
        text += f" from {ips} IP" + ("" if ips == 1 else "s")
    return text


# -- the DynamoDB side ------------------------------------------------------------------
