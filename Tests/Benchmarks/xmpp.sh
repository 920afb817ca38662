#!/usr/bin/env bash
# Messages per second alice -> bob through a real Prosody and the gateway: alice@acme.test (slixmpp) ->
# Prosody -> acme's component -> inbox (fsync) -> gate -> audit (fsync) -> outbox -> globex's component ->
# Prosody -> bob@globex.test (slixmpp). Everything on 127.0.0.1, in a throwaway directory; bounded: N
# messages (capped at 100000) per run, 3 runs, each with a timeout.
# usage: Tests/Benchmarks/xmpp.sh [MESSAGES]     needs: prosody, python3-slixmpp (scripts/install-deps.sh test)
# BRIDGED_WINDOW=N sets delivery.window (default 8; 1 = one delivery barrier round trip per message).
# Each run through the gateway is paired with a ceiling run in the same minute: alice -> bob through the
# same Prosody alone (c2s -> c2s, no gateway). Every run reports the CPU per message of the gateway and of
# Prosody, read from /proc/PID/stat; the last line is the median ratio of the two rates.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
n="${1:-2000}"
source Tests/Benchmarks/lib.sh
read -r C2S COMP < <(free_ports 2)
prosody_start "$C2S" "$COMP" '
VirtualHost "acme.test"
Component "partners.acme.test"
    component_secret = "bench-secret"
VirtualHost "globex.test"
Component "partners.globex.test"
    component_secret = "bench-secret"'
prosody_register alice acme.test alicepw
prosody_register bob globex.test bobpw
gateway_files "127.0.0.1:0"
printf '[[reach]]\norg = "acme"\nadapter = "acme-xmpp"\n[[reach]]\norg = "globex"\nadapter = "globex-xmpp"\n' > "$g/routes.toml"
xmpp_adapter acme "$COMP"
xmpp_adapter globex "$COMP"
gateway_start 2
echo "alice -> bob through Prosody and the gateway, $n messages per run, delivery.window ${BRIDGED_WINDOW:-8} (release build, $(nproc) cores):"
load() { /usr/bin/python3 "$repo/Tests/peers/xmpp_load.py" "$C2S" "$n" "$@" --timeout 300 --pid prosody="$prosody_pid"; }
results="$work/results"
for run in 1 2 3; do
  printf 'prosody alone: '; load 'bob@globex.test' | tee -a "$results.prosody"
  printf 'gateway:       '; load 'bob\40globex.test@partners.acme.test' --pid bridged="$gateway" | tee -a "$results.gateway"
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rate = lambda name: statistics.median(json.loads(line)["per_second"] or 0 for line in open(sys.argv[1] + "." + name))
print("gateway / prosody alone: %.2f (median %.0f vs %.0f messages/s)" % (rate("gateway") / rate("prosody"), rate("gateway"), rate("prosody")))
PY
