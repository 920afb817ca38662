#!/usr/bin/env bash
# The in-process pipeline benchmark: accept (inbox commit) -> gate -> audit (fsync) -> outbox -> spool
# (files, fsync, rename, directory fsync), all durable, on this machine's disk, beside the ceilings the
# same command measures in the same directory (SQLite commits, fsynced spool files). Bounded: N envelopes,
# 3 runs.
# usage: Tests/Benchmarks/pipeline.sh [ENVELOPES] [CONCURRENCY]
# BRIDGED_SPOOL_SYNC=file|filesystem sets the archive spool's sync (default file);
# BRIDGED_WINDOW=N sets delivery.window (default 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-5000}"; c="${2:-16}"
[ -n "${BRIDGED_BIN:-}" ] || swift build -c release --product bridged >/dev/null
bin="${BRIDGED_BIN:-$(swift build -c release --show-bin-path)/bridged}"
for run in 1 2 3; do
  "$bin" bench pipeline --envelopes "$n" --concurrency "$c" \
    --spool-sync "${BRIDGED_SPOOL_SYNC:-file}" --window "${BRIDGED_WINDOW:-8}"
done
