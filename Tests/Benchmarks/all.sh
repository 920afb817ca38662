#!/usr/bin/env bash
# The whole benchmark set, each figure beside the ceiling measured in the same run: the in-process pipeline
# with both spool sync modes, XMPP alice -> bob through a real Prosody against Prosody alone (with CPU per
# message), webhook <-> XMPP both ways (CPU per message, accept latency), and the gate and codec
# micro-benchmarks. Bounded: every script caps its runs and message counts.
# usage: Tests/Benchmarks/all.sh        needs: prosody, python3-slixmpp (scripts/install-deps.sh test)
# Takes about 3 minutes on the project's 2-core machine once the release builds exist (a first build of the
# benchmark package adds 5 to 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
swift build -c release --product bridged >/dev/null
export BRIDGED_BIN="$(swift build -c release --show-bin-path)/bridged"
echo "== pipeline, sync = file"
BRIDGED_SPOOL_SYNC=file Tests/Benchmarks/pipeline.sh 5000 16
echo "== pipeline, sync = filesystem"
BRIDGED_SPOOL_SYNC=filesystem Tests/Benchmarks/pipeline.sh 5000 16
echo "== XMPP through Prosody and the gateway"
Tests/Benchmarks/xmpp.sh 2000
echo "== webhook <-> XMPP through the gateway"
Tests/Benchmarks/webhook.sh 2000 16
echo "== gate and codec micro-benchmarks"
(cd Tests/Benchmarks && swift package --disable-sandbox benchmark)
echo "== whole set in $(( $(date +%s) - start )) s"
