#!/usr/bin/env bash
# Installs the system packages bridged needs: `build` (to build and run) or `test` (also the real servers
# the integration tests start on loopback). Needs root or sudo; uses only Debian's packages.
set -euo pipefail
what="${1:-build}"
packages=(libexpat1-dev libsqlite3-dev pkg-config curl ca-certificates)
if [ "$what" = "test" ]; then
  packages+=(prosody lua-unbound python3-slixmpp dovecot-imapd dovecot-lmtpd exim4-daemon-light
             swaks libnet-ssleay-perl python3-aiosmtpd python3-cryptography)
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # Servers must not start system-wide daemons on install: the tests start their own on loopback.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
  fi
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
if ! command -v swift >/dev/null 2>&1; then
  for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
fi
command -v swift >/dev/null 2>&1 || { echo "swift 6.1 or later is required on PATH (https://www.swift.org/install/)" >&2; exit 1; }
