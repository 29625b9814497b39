#!/usr/bin/env bash
# Installs what is missing, builds Pincer (web UI included) and starts it: the daemon with
# its web UI, printing the address and a one-time login link. Arguments go to
# `pincer daemon` (e.g. --listen 127.0.0.1:8080).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PINCER_ROOT"

ensure_build_deps
build_ui
say "building pincer (release)"
cargo build --release --locked -p pincer-cli
bin="${CARGO_TARGET_DIR:-$PINCER_ROOT/target}/release/pincer"

if ! "$bin" doctor >/dev/null 2>&1; then
  say "no working model provider yet: pick one in Settings in the web UI, or set PINCER_PROVIDER and friends (docs/configuration.md)"
fi
exec "$bin" daemon "$@"
