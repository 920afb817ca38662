#!/usr/bin/env bash
# Posts one signed message from bob@globex.test to alice@acme.test into the example gateway.
# usage: scripts/post-example.sh [TEXT] [EVENT_ID]
set -euo pipefail
cd "$(dirname "$0")/.."
text="${1:-Hello from Globex}"
event="${2:-tour-$(date +%s%N)}"
secret="$(cat var/secrets/globex-chat.secret)"
body="{\"event_id\":\"$event\",\"from\":\"bob@globex.test\",\"from_name\":\"Bob\",\"to\":[\"alice@acme.test\"],\"text\":\"$text\"}"
ts="$(date +%s)"
sig="v1=$(printf 'v1:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= //')"
curl -sS -X POST http://127.0.0.1:8480/hooks/globex-chat \
  -H 'Content-Type: application/json' -H "X-Bridged-Timestamp: $ts" -H "X-Bridged-Signature: $sig" \
  --data-binary "$body"
