#!/usr/bin/env bash
# Messages per second between a chat system (webhook, generic dialect) and XMPP, both ways, through the
# gateway: carol@globex.test posts signed JSON -> POST /hooks/globex-chat -> inbox (fsync) -> gate -> audit
# (fsync) -> outbox -> acme's component -> Prosody -> alice@acme.test (slixmpp); and alice -> acme's
# component -> ... -> a POST to globex-chat's deliver_url (an HTTP sink in the load tool). Everything on
# 127.0.0.1, in a throwaway directory; bounded: N messages (capped at 100000) per run, 3 runs each way,
# each with a timeout.
# usage: Tests/Benchmarks/webhook.sh [MESSAGES] [CONCURRENCY]   needs: prosody, python3-slixmpp
# (scripts/install-deps.sh test). BRIDGED_WINDOW=N sets delivery.window (default 8).
# Every run reports the gateway's CPU per message (from /proc/PID/stat) and, inbound, the accept latency
# (request sent -> 202 after the durable commit) at CONCURRENCY posts in flight (default 16). Each run is
# paired with a ceiling run in the same minute: the same signed posts to the load tool's own HTTP sink.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
n="${1:-2000}"
concurrency="${2:-16}"
[ -n "${BRIDGED_BIN:-}" ] || swift build -c release --product bridged >/dev/null
bin="${BRIDGED_BIN:-$(swift build -c release --show-bin-path)/bridged}"
work=$(mktemp -d /tmp/bridged-webhook-bench.XXXXXX); chmod 755 "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
read -r C2S COMP HTTP SINK < <(python3 -c 'import socket; ss=[socket.socket() for _ in range(4)]
[s.bind(("127.0.0.1",0)) for s in ss]; print(*[s.getsockname()[1] for s in ss])')
mkdir -p "$work/xmpp/data" "$work/xmpp/certs" "$work/gw/adapters.d" "$work/gw/var/keys" "$work/gw/var/secrets"
cat > "$work/xmpp/prosody.cfg.lua" <<CFG
run_as_root = true
data_path = "$work/xmpp/data"
pidfile = "$work/xmpp/prosody.pid"
certificates = "$work/xmpp/certs"
log = { { levels = { min = "info" }, to = "file", filename = "$work/xmpp/prosody.log" } }
interfaces = { "127.0.0.1" }
component_interfaces = { "127.0.0.1" }
c2s_ports = { $C2S }
component_ports = { $COMP }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence"; "posix" }
modules_disabled = { "s2s" }
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
limits = { c2s = { rate = "100mb/s" }; }
VirtualHost "acme.test"
Component "partners.acme.test"
    component_secret = "bench-secret"
CFG
prosodyctl --config "$work/xmpp/prosody.cfg.lua" register alice acme.test alicepw
/usr/bin/perl -e 'use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV' \
  prosody --config "$work/xmpp/prosody.cfg.lua" -F >"$work/xmpp/stdout.log" 2>&1 &
pids+=($!)
prosody_pid=$!

g="$work/gw"
printf 'bench-secret\n' > "$g/var/secrets/xmpp.secret"
chmod 600 "$g/var/secrets/xmpp.secret"
"$bin" audit keygen --out "$g/var/keys/audit.key" >/dev/null
cat > "$g/bridged.toml" <<CFG
[audit]
signing_key_file = "var/keys/audit.key"
content = "hashes"
[http]
listen = "127.0.0.1:$HTTP"
[admin]
listen = "127.0.0.1:0"
[log]
level = "warning"
[delivery]
window = ${BRIDGED_WINDOW:-8}
CFG
printf '[orgs.acme]\ndomains = ["acme.test"]\n[orgs.globex]\ndomains = ["globex.test"]\n' > "$g/orgs.toml"
printf '[[reach]]\norg = "acme"\nadapter = "acme-xmpp"\n[[reach]]\norg = "globex"\nadapter = "globex-chat"\n' > "$g/routes.toml"
printf '[[rule]]\nid = "acme-globex"\naction = "allow"\nfrom = ["org:acme"]\nto = ["org:globex"]\nboth_ways = true\n' > "$g/policy.toml"
printf 'type = "xmpp-component"\norg = "acme"\nhost = "127.0.0.1"\nport = %s\ncomponent = "partners.acme.test"\nsecret_file = "var/secrets/xmpp.secret"\n' \
  "$COMP" > "$g/adapters.d/acme-xmpp.toml"
printf 'bench-hook-secret\n' > "$g/var/secrets/hook.secret"
chmod 600 "$g/var/secrets/hook.secret"
printf 'type = "webhook"\norg = "globex"\ndialect = "generic"\nsecret_file = "var/secrets/hook.secret"\ndeliver_url = "http://127.0.0.1:%s/hooks/globex"\n' \
  "$SINK" > "$g/adapters.d/globex-chat.toml"
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$COMP) 2>/dev/null && break; sleep 0.1; done
"$bin" run --config "$g" >"$g/run.log" 2>&1 &
pids+=($!)
gateway=$!
for _ in $(seq 150); do
  [ "$(grep -c 'successfully authenticated' "$work/xmpp/prosody.log" 2>/dev/null || true)" -ge 1 ] \
    && (echo >/dev/tcp/127.0.0.1/$HTTP) 2>/dev/null && break
  kill -0 "$gateway" 2>/dev/null || { echo "the gateway exited:" >&2; cat "$g/run.log" >&2; exit 1; }
  sleep 0.1
done
(echo >/dev/tcp/127.0.0.1/$HTTP) 2>/dev/null \
  || { echo "the component did not connect or the listener did not open within 15 s:" >&2; tail -20 "$g/run.log" >&2; exit 1; }
echo "webhook <-> XMPP through the gateway, $n messages per run, $concurrency posts in flight, delivery.window ${BRIDGED_WINDOW:-8} (release build, $(nproc) cores):"
load() {
  /usr/bin/python3 "$repo/Tests/peers/webhook_load.py" "$@" --n "$n" --concurrency "$concurrency" --xmpp-port "$C2S" \
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
