#!/usr/bin/env bash
# Messages per second between a chat system (webhook, generic dialect) and XMPP, both ways, through the
# gateway: carol@globex.test posts signed JSON -> POST /hooks/globex-chat -> inbox (fsync) -> gate -> audit
# (fsync) -> outbox -> acme's component -> Prosody -> alice@acme.test (slixmpp); and alice -> acme's
# component -> ... -> a POST to globex-chat's deliver_url (an HTTP sink in the load tool). Everything on
# 127.0.0.1, in a throwaway directory; bounded: N messages (capped at 100000) per run, 3 runs each way,
# each with a timeout.
# usage: Tests/Benchmarks/webhook.sh [MESSAGES] [CONCURRENCY] [RATE]   needs: prosody, python3-slixmpp
# (scripts/install-deps.sh test). BRIDGED_WINDOW=N sets delivery.window (default 8).
# Every run reports the gateway's CPU per message (from /proc/PID/stat) and, inbound, the accept latency
# (request sent -> 202 after the durable commit) at CONCURRENCY posts in flight (default 16). Each run is
# paired with a ceiling run in the same minute: the same signed posts to the load tool's own HTTP sink.
# RATE offers that many messages a second each way (default 0: as fast as the tool can), for the CPU per
# message and the accept latency at a steady rate.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
n="${1:-2000}"
concurrency="${2:-16}"
rate="${3:-0}"
source Tests/Benchmarks/lib.sh
read -r C2S COMP HTTP SINK < <(free_ports 4)
prosody_start "$C2S" "$COMP" '
VirtualHost "acme.test"
Component "partners.acme.test"
    component_secret = "bench-secret"'
prosody_register alice acme.test alicepw
gateway_files "127.0.0.1:$HTTP"
printf '[[reach]]\norg = "acme"\nadapter = "acme-xmpp"\n[[reach]]\norg = "globex"\nadapter = "globex-chat"\n' > "$g/routes.toml"
xmpp_adapter acme "$COMP"
printf 'bench-hook-secret\n' > "$g/var/secrets/hook.secret"
chmod 600 "$g/var/secrets/hook.secret"
printf 'type = "webhook"\norg = "globex"\ndialect = "generic"\nsecret_file = "var/secrets/hook.secret"\ndeliver_url = "http://127.0.0.1:%s/hooks/globex"\n' \
  "$SINK" > "$g/adapters.d/globex-chat.toml"
gateway_start 1 "$HTTP"
echo "webhook <-> XMPP through the gateway, $n messages per run, $concurrency posts in flight, offered rate ${rate} per second (0: as fast as possible), delivery.window ${BRIDGED_WINDOW:-8} (release build, $(nproc) cores):"
load() {
  /usr/bin/python3 "$repo/Tests/peers/webhook_load.py" "$@" --n "$n" --concurrency "$concurrency" --rate "$rate" --xmpp-port "$C2S" \
    --http-port "$HTTP" --sink-port "$SINK" --secret-file "$g/var/secrets/hook.secret" --timeout 300 \
    --pid bridged="$gateway" --pid prosody="$prosody_pid"
}
results="$work/results"
for run in 1 2 3; do
  printf 'HTTP alone:      '; load http-alone --tag "alone$run" | tee -a "$results.alone"
  printf 'webhook -> XMPP: '; load in --tag "in$run" | tee -a "$results.in"
  printf 'XMPP -> webhook: '; load out --tag "out$run" | tee -a "$results.out"
done
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
runs = lambda name: [json.loads(line) for line in open(sys.argv[1] + "." + name)]
median = lambda name, key: statistics.median(run[key] or 0 for run in runs(name))
print("medians: webhook -> XMPP %.0f/s (%.0f us CPU per message, accept p99 %.1f ms), XMPP -> webhook %.0f/s (%.0f us), "
      "HTTP alone %.0f/s; webhook -> XMPP / HTTP alone: %.2f" % (
          median("in", "per_second"), median("in", "cpu_us_per_message_bridged"), median("in", "accept_ms_p99"),
          median("out", "per_second"), median("out", "cpu_us_per_message_bridged"), median("alone", "per_second"),
          median("in", "per_second") / median("alone", "per_second")))
PY
