#!/usr/bin/env bash
# The in-process local model beside llama-cpp-python's server on the same GGUF, same
# machine, same thread count, in one run (crates/pincer-core/benches/local_model.rs).
# Usage: scripts/bench-local.sh [THREADS]   (default 1; the results go to stdout)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PINCER_ROOT"
threads="${1:-1}"
portfile="$(mktemp)"
trap 'scripts/smollm2-server.sh stop "$portfile" >/dev/null 2>&1 || true; rm -f "$portfile"' EXIT
SMOLLM2_THREADS="$threads" scripts/smollm2-server.sh start "$portfile"
read -r port _ <"$portfile"
PINCER_BENCH_GGUF="$(scripts/smollm2-server.sh model)" \
PINCER_BENCH_THREADS="$threads" \
PINCER_BENCH_LLAMA_SERVER="http://127.0.0.1:$port" \
  cargo bench --locked -p pincer-core --features local --bench local_model
