"""`make bench`: every benchmark, each in its own fresh process, figures on stdout."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "bench.pipeline",
    "bench.cold_start",
    "bench.burst",
    "bench.recent_logins",
    "bench.deploy_rehearsal",
    "bench.deadlines",
    "bench.picture",
    "bench.organization",
    "bench.day",
)

failed = 0
for name in BENCHMARKS:
    print(f"== {name}", flush=True)
    failed += subprocess.run([sys.executable, "-m", name], check=False).returncode != 0
sys.exit(1 if failed else 0)
