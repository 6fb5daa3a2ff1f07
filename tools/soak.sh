#!/usr/bin/env bash
# `make soak`: is the suite green every time? A fresh clone of HEAD runs `make test`
# RUNS times in a row (the first builds its .venv from nothing, as CI does), while
# LOAD busy loops keep the machine's cores busy. Prints one line per run and exits
# non-zero at the first red run, keeping the clone and its log for a look.
set -euo pipefail
runs=${RUNS:-10}
load=${LOAD:-2}
top=$(git rev-parse --show-toplevel)
clone=$(mktemp -d "${TMPDIR:-/tmp}/signin-alerts-soak.XXXXXX")
git clone --quiet "$top" "$clone"
busy=()
stop_load() { for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_load EXIT
for _ in $(seq "$load"); do
  (while :; do :; done) &
  busy+=($!)
done
echo "soak: $runs runs of make test in $clone, $load busy loops ($(nproc) cores)"
for run in $(seq "$runs"); do
  started=$(date +%s)
  if make -C "$clone" test >"$clone/run-$run.log" 2>&1; then
    summary=$(grep -E '^[0-9]+ passed' "$clone/run-$run.log" | tail -n 1)
    echo "run $run: green in $(( $(date +%s) - started )) s: $summary"
  else
    echo "run $run: RED after $(( $(date +%s) - started )) s: see $clone/run-$run.log"
    exit 1
  fi
done
rm -rf "$clone"
echo "soak: $runs of $runs green"
