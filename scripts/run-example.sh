#!/usr/bin/env bash
# Installs what bridged needs, builds it, makes the example's key and secret if absent, and runs the
# gateway on the example config in this repository (SQLite and audit log under ./var).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
swift build --product bridged
bin="$(swift build --show-bin-path)/bridged"
mkdir -p var/keys var/secrets
[ -f var/keys/audit-signing.key ] || "$bin" audit keygen --out var/keys/audit-signing.key
[ -f var/secrets/globex-chat.secret ] || (umask 077 && openssl rand -hex 32 > var/secrets/globex-chat.secret)
"$bin" check --config .
exec "$bin" run --config .
