# Shared by xmpp.sh and webhook.sh (sourced, not run): a throwaway directory, a Prosody on 127.0.0.1 and
# the gateway's common files. Every process started here is stopped on exit, on every path.
# Before sourcing: cd to the repository. After: $bin, $work, $g (the gateway's config directory).
[ -n "${BRIDGED_BIN:-}" ] || swift build -c release --product bridged >/dev/null
bin="${BRIDGED_BIN:-$(swift build -c release --show-bin-path)/bridged}"
work=$(mktemp -d /tmp/bridged-bench.XXXXXX); chmod 755 "$work"
g="$work/gw"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# free_ports N: N free TCP ports on 127.0.0.1, on one line.
free_ports() {
  python3 -c 'import socket, sys; ss=[socket.socket() for _ in range(int(sys.argv[1]))]
[s.bind(("127.0.0.1",0)) for s in ss]; print(*[s.getsockname()[1] for s in ss])' "$1"
}

# prosody_start C2S COMP HOSTS: Prosody with client and component ports, the Lua of its virtual hosts and
# components appended; sets $prosody_pid and waits until the component port is open.
prosody_start() {
  mkdir -p "$work/xmpp/data" "$work/xmpp/certs"
  cat > "$work/xmpp/prosody.cfg.lua" <<CFG
run_as_root = true
data_path = "$work/xmpp/data"
pidfile = "$work/xmpp/prosody.pid"
certificates = "$work/xmpp/certs"
log = { { levels = { min = "info" }, to = "file", filename = "$work/xmpp/prosody.log" } }
interfaces = { "127.0.0.1" }
component_interfaces = { "127.0.0.1" }
c2s_ports = { $1 }
component_ports = { $2 }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "presence"; "posix" }
modules_disabled = { "s2s" }
authentication = "internal_plain"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
limits = { c2s = { rate = "100mb/s" }; }
$3
CFG
  /usr/bin/perl -e 'use POSIX; sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV' \
    prosody --config "$work/xmpp/prosody.cfg.lua" -F >"$work/xmpp/stdout.log" 2>&1 &
  pids+=($!)
  prosody_pid=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$2") 2>/dev/null && return 0; sleep 0.1; done
  echo "Prosody did not open its component port within 10 s:" >&2; cat "$work/xmpp/stdout.log" >&2; exit 1
}

# prosody_register USER HOST PASSWORD
prosody_register() { prosodyctl --config "$work/xmpp/prosody.cfg.lua" register "$1" "$2" "$3"; }

# gateway_files HTTP_LISTEN: bridged.toml (audit key, listeners, delivery.window from $BRIDGED_WINDOW,
# default 8), orgs acme and globex, a policy allowing them both ways, and the XMPP component secret.
gateway_files() {
  mkdir -p "$g/adapters.d" "$g/var/keys" "$g/var/secrets"
  printf 'bench-secret\n' > "$g/var/secrets/xmpp.secret"
  chmod 600 "$g/var/secrets/xmpp.secret"
  "$bin" audit keygen --out "$g/var/keys/audit.key" >/dev/null
  cat > "$g/bridged.toml" <<CFG
[audit]
signing_key_file = "var/keys/audit.key"
content = "hashes"
[http]
listen = "$1"
[admin]
listen = "127.0.0.1:0"
[log]
level = "warning"
[delivery]
window = ${BRIDGED_WINDOW:-8}
CFG
  printf '[orgs.acme]\ndomains = ["acme.test"]\n[orgs.globex]\ndomains = ["globex.test"]\n' > "$g/orgs.toml"
  printf '[[rule]]\nid = "acme-globex"\naction = "allow"\nfrom = ["org:acme"]\nto = ["org:globex"]\nboth_ways = true\n' > "$g/policy.toml"
}

# xmpp_adapter ORG COMP: the org's XMPP component adapter, partners.ORG.test on Prosody's component port.
xmpp_adapter() {
  printf 'type = "xmpp-component"\norg = "%s"\nhost = "127.0.0.1"\nport = %s\ncomponent = "partners.%s.test"\nsecret_file = "var/secrets/xmpp.secret"\n' \
    "$1" "$2" "$1" > "$g/adapters.d/$1-xmpp.toml"
}

# gateway_start COMPONENTS [HTTP_PORT]: runs the gateway, sets $gateway, and waits (15 s at most) until
# COMPONENTS components authenticated with Prosody and, given a port, the public listener is open.
gateway_start() {
  "$bin" run --config "$g" >"$g/run.log" 2>&1 &
  pids+=($!)
  gateway=$!
  for _ in $(seq 150); do
    if [ "$(grep -c 'successfully authenticated' "$work/xmpp/prosody.log" 2>/dev/null || true)" -ge "$1" ] \
      && { [ -z "${2:-}" ] || (echo >/dev/tcp/127.0.0.1/"$2") 2>/dev/null; }; then
      return 0
    fi
    kill -0 "$gateway" 2>/dev/null || { echo "the gateway exited:" >&2; cat "$g/run.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "the gateway's $1 component(s) did not connect or its listener did not open within 15 s:" >&2
  tail -20 "$g/run.log" >&2
  exit 1
}
