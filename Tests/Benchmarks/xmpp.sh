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
[ -n "${BRIDGED_BIN:-}" ] || swift build -c release --product bridged >/dev/null
bin="${BRIDGED_BIN:-$(swift build -c release --show-bin-path)/bridged}"
work=$(mktemp -d /tmp/bridged-xmpp-bench.XXXXXX); chmod 755 "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
read -r C2S COMP < <(python3 -c 'import socket; ss=[socket.socket() for _ in range(2)]
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
VirtualHost "globex.test"
Component "partners.globex.test"
    component_secret = "bench-secret"
CFG
prosodyctl --config "$work/xmpp/prosody.cfg.lua" register alice acme.test alicepw
prosodyctl --config "$work/xmpp/prosody.cfg.lua" register bob globex.test bobpw
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
listen = "127.0.0.1:0"
[admin]
listen = "127.0.0.1:0"
[log]
level = "warning"
[delivery]
window = ${BRIDGED_WINDOW:-8}
CFG
printf '[orgs.acme]\ndomains = ["acme.test"]\n[orgs.globex]\ndomains = ["globex.test"]\n' > "$g/orgs.toml"
printf '[[reach]]\norg = "acme"\nadapter = "acme-xmpp"\n[[reach]]\norg = "globex"\nadapter = "globex-xmpp"\n' > "$g/routes.toml"
printf '[[rule]]\nid = "acme-globex"\naction = "allow"\nfrom = ["org:acme"]\nto = ["org:globex"]\nboth_ways = true\n' > "$g/policy.toml"
for org in acme globex; do
  printf 'type = "xmpp-component"\norg = "%s"\nhost = "127.0.0.1"\nport = %s\ncomponent = "partners.%s.test"\nsecret_file = "var/secrets/xmpp.secret"\n' \
    "$org" "$COMP" "$org" > "$g/adapters.d/$org-xmpp.toml"
done
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$COMP) 2>/dev/null && break; sleep 0.1; done
"$bin" run --config "$g" >"$g/run.log" 2>&1 &
pids+=($!)
gateway=$!
for _ in $(seq 150); do
  [ "$(grep -c 'successfully authenticated' "$work/xmpp/prosody.log" 2>/dev/null || true)" -ge 2 ] && break
  kill -0 "$gateway" 2>/dev/null || { echo "the gateway exited:" >&2; cat "$g/run.log" >&2; exit 1; }
  sleep 0.1
done
[ "$(grep -c 'successfully authenticated' "$work/xmpp/prosody.log" 2>/dev/null || true)" -ge 2 ] \
  || { echo "both components did not connect within 15 s:" >&2; tail -20 "$g/run.log" >&2; exit 1; }
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
