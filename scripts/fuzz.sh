#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS_PER_TARGET] [--keep]
#
# TARGET is one of: webhook xmpp-stream mime imap-response smtp-reply lmtp policy-content (default: all), each run for
# SECONDS_PER_TARGET (default 60). Builds its own instrumented copy in .build-fuzz (the usual .build is not
# touched). New inputs go to a scratch folder; --keep merges those that add coverage into
# Tests/Fuzz/Corpus/TARGET (commit them). A crash stops the run with exit 1 and names the input: copy it to
# Tests/Fuzz/Regressions/TARGET/ with a descriptive name once fixed, so the unit tests replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"

all_targets=(webhook xmpp-stream mime imap-response smtp-reply lmtp policy-content)
target="${1:-all}"
seconds="${2:-60}"
keep="${3:-}"
if [ "$target" = all ]; then targets=("${all_targets[@]}"); else targets=("$target"); fi
for t in "${targets[@]}"; do
    case " ${all_targets[*]} " in *" $t "*) ;; *) echo "fuzz: unknown target '$t' (one of: ${all_targets[*]})" >&2; exit 2 ;; esac
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz: SECONDS_PER_TARGET must be a whole number" >&2; exit 2 ;; esac

echo "fuzz: building the instrumented driver in .build-fuzz"
BRIDGED_FUZZ=1 swift build --scratch-path .build-fuzz --product bridged-fuzz
driver="$(BRIDGED_FUZZ=1 swift build --scratch-path .build-fuzz --show-bin-path)/bridged-fuzz"

seeds() {
    case "$1" in
        mime) echo "Tests/AdaptersTests/Email/Corpus" ;;
        imap-response) echo "Tests/AdaptersTests/Email/IMAP/Transcripts" ;;
    esac
}
max_len() {
    case "$1" in
        mime) echo 262144 ;;
        xmpp-stream|imap-response|lmtp) echo 65536 ;;
        *) echo 16384 ;;
    esac
}

summary=()
for t in "${targets[@]}"; do
    scratch=".build-fuzz/work/$t"
    artifacts=".build-fuzz/artifacts/$t/"
    rm -rf "$scratch"
    mkdir -p "$scratch" "$artifacts" "Tests/Fuzz/Corpus/$t" "Tests/Fuzz/Regressions/$t"
    folders=("$scratch" "Tests/Fuzz/Corpus/$t" "Tests/Fuzz/Regressions/$t")
    seed="$(seeds "$t")"
    [ -n "$seed" ] && folders+=("$seed")
    log=".build-fuzz/work/$t.log"
    echo "fuzz: $t for ${seconds}s"
    status=0
    BRIDGED_FUZZ_TARGET="$t" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" "$driver" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
        -artifact_prefix="$artifacts" -print_final_stats=1 "${folders[@]}" >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
    if [ "$status" -ne 0 ]; then
        tail -60 "$log" >&2
        echo "fuzz: $t FAILED (exit $status); the input is in $artifacts (full log: $log)" >&2
        exit 1
    fi
    if [ "$keep" = --keep ]; then
        BRIDGED_FUZZ_TARGET="$t" ASAN_OPTIONS="detect_leaks=0" "$driver" -merge=1 -max_len="$(max_len "$t")" \
            "Tests/Fuzz/Corpus/$t" "$scratch" >>"$log" 2>&1
    fi
    line="$t: ${runs:-?} executions in ${seconds}s, ${cov:-cov: ?}, $(ls "$scratch" | wc -l) new inputs"
    echo "fuzz: $line"
    summary+=("$line")
done
echo "fuzz: done, no crash"
printf '  %s\n' "${summary[@]}"
