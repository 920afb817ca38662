#!/usr/bin/env bash
# The in-process pipeline benchmark: accept (inbox commit) -> gate -> audit (fsync) -> outbox -> spool
# (file fsync + rename + directory fsync), all durable, on this machine's disk. Bounded: N envelopes, 3 runs.
# usage: Tests/Benchmarks/pipeline.sh [ENVELOPES] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-5000}"; c="${2:-16}"
swift build -c release --product bridged >/dev/null
bin="$(swift build -c release --show-bin-path)/bridged"
for run in 1 2 3; do "$bin" bench pipeline --envelopes "$n" --concurrency "$c"; done
