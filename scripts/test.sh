#!/usr/bin/env bash
# Installs what the tests need (the real servers too), builds bridged, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
# The process-level tests run the real binary, so build it (and the tests) first.
swift build --build-tests
swift test --skip-build
# A bounded libFuzzer run over every parser of untrusted input (its own instrumented build in .build-fuzz).
scripts/fuzz.sh all "${BRIDGED_FUZZ_SECONDS:-20}"
