"""The sign-in's cold path on several source trees (commits), interleaved: each round
runs the naive forwarder once, then each tree's cold path, so the shared machine's load
falls on all of them alike; each ratio is to the forwarder of the same rounds. Each tree
runs as its package ships: with its bytecode when it has tools/bytecode.py.

Run, with one directory per commit (`git archive C | tar -x -C DIR`) and `.` for this tree:
  .venv/bin/python -m bench.cold_start_compare DIR... [--rounds 11]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench.cold_start import COLD_APP, COLD_NAIVE, emulated, timed
from tools.bytecode import compile_app


def compare(trees: list[Path], rounds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {"naive forwarder": []}
    with emulated() as (env, sink):
        for tree in trees:
            if (tree / "tools" / "bytecode.py").exists():
                compile_app(tree)
        for _ in range(rounds):
            samples["naive forwarder"] += timed(COLD_NAIVE, env, 1)
            for tree in trees:
                samples.setdefault(str(tree), []).extend(timed(COLD_APP, env, 1, cwd=tree))
        assert len(sink.messages) == rounds * (1 + len(trees)), "every cold run must post"
    medians = {name: statistics.median(values) for name, values in samples.items()}
    naive = medians["naive forwarder"]
    for name, median in medians.items():
        print(f"{median:7.1f} ms  {median / naive:5.2f}x  {name}")
    print(f"median of {rounds} interleaved rounds")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args()
    compare([tree.resolve() for tree in args.trees], args.rounds)


if __name__ == "__main__":
    main()
