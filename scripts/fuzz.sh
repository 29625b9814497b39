#!/usr/bin/env bash
# Bounded fuzzing of the parsers of foreign input (the targets in fuzz/): cargo-fuzz where a
# nightly toolchain is installed (cargo-fuzz itself is installed into a cache outside the
# clone when missing), property tests over the same entry points otherwise. Says which ran.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]    default 24: seven targets, under three minutes in all
#
# New inputs found on the way go to a scratch folder, not into the committed corpus; a
# crash stops the run and says how to keep its input as a regression test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PINCER_ROOT"

secs=${1:-${PINCER_FUZZ_SECONDS:-24}}
targets=(sse provider_error tool_arguments skill_md ws_message local_output gguf_header)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pincer/cargo-fuzz"
target_dir="${CARGO_TARGET_DIR:-$PINCER_ROOT/target}/fuzz"

fuzzer=
if command -v rustup >/dev/null 2>&1 && rustup run nightly rustc --version >/dev/null 2>&1; then
  PATH="$cache/bin:$PATH"
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    say "installing cargo-fuzz into $cache"
    cargo install --locked cargo-fuzz --root "$cache" >&2 || say "could not install cargo-fuzz"
  fi
  command -v cargo-fuzz >/dev/null 2>&1 && fuzzer=cargo-fuzz
fi

if [ -z "$fuzzer" ]; then
  cases=${PINCER_PROPTEST_CASES:-20000}
  say "no nightly toolchain with cargo-fuzz: running the property tests over the fuzz entry points instead ($cases cases each)"
  PROPTEST_CASES=$cases cargo test --locked -p pincer-core --lib fuzzing
  PROPTEST_CASES=$cases cargo test --locked -p pincer-gateway --lib fuzzing
  say "fuzzing: property tests ran (cargo-fuzz did not)"
  exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
say "building the fuzz targets (nightly, no sanitizer: the code the targets reach has no unsafe)"
cargo +nightly fuzz build -s none --target-dir "$target_dir" >&2
for t in "${targets[@]}"; do
  say "cargo fuzz run $t for ${secs}s"
  mkdir -p "$scratch/$t"
  # libFuzzer prints a line per new input (tens of thousands in a CI log): keep them in a
  # file and show the summary, or the end of the log when the target fails.
  if ! cargo +nightly fuzz run -s none --target-dir "$target_dir" "$t" "$scratch/$t" "fuzz/corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -artifact_prefix="$scratch/crash-$t-" -print_final_stats=1 \
      >"$scratch/$t.log" 2>&1; then
    tail -n 100 "$scratch/$t.log" >&2
    for crash in "$scratch"/crash-"$t"-*; do
      [ -e "$crash" ] || continue
      mkdir -p "${TMPDIR:-/tmp}/pincer-fuzz-crashes"
      cp "$crash" "${TMPDIR:-/tmp}/pincer-fuzz-crashes/"
      say "crash input kept: ${TMPDIR:-/tmp}/pincer-fuzz-crashes/$(basename "$crash")"
    done
    die "fuzz target $t failed: minimize the input (cargo +nightly fuzz tmin $t FILE), fix the bug, and commit the input under fuzz/corpus/$t/"
  fi
  grep -E '^Done [0-9]+ runs|^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$scratch/$t.log" >&2 || true
done
say "fuzzing: cargo-fuzz ran ${#targets[@]} targets for ${secs}s each (property tests did not)"
