"""`make bench`: every benchmark, one after another, figures on stdout."""

from __future__ import annotations

import importlib

BENCHMARKS = (
    "bench.pipeline",
    "bench.cold_start",
)

for name in BENCHMARKS:
    print(f"== {name}")
    importlib.import_module(name).main()
